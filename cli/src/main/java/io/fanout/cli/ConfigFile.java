package io.fanout.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Settings from a properties file ({@code --config FILE} or {@code FANOUT_CONFIG}), below flags and
 * environment variables and above the built-in defaults. A key is an option's long name without
 * dashes ({@code jdbc-url=...}), or prefixed with a command for that command only
 * ({@code coordinator.group-id=...}). An unknown key fails at start, naming it.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {

    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");

    private final Path path;
    private final Properties settings;

    private ConfigFile(Path path, Properties settings) {
        this.path = path;
        this.settings = settings;
    }

    static ConfigFile load(Path path) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(path)) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("configuration file " + path + " cannot be read: " + e.getMessage(), e);
        }
        return new ConfigFile(path, p);
    }

    /** Rejects keys that name no option of any command. */
    void check(CommandLine root) {
        Set<String> known = new TreeSet<>();
        collect(root, known);
        for (String key : settings.stringPropertyNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + key + "' in " + path + ": use an option's long name without dashes, "
                        + "optionally after a command name (for example 'jdbc-url' or 'coordinator.group-id')");
            }
        }
    }

    private static void collect(CommandLine command, Set<String> known) {
        for (OptionSpec o : command.getCommandSpec().options()) {
            String name = bare(o);
            known.add(name);
            known.add(command.getCommandName() + "." + name);
        }
        command.getSubcommands().values().forEach(sub -> collect(sub, known));
    }

    @Override
    public String defaultValue(ArgSpec spec) {
        if (!(spec instanceof OptionSpec option) || option.longestName().equals("--config")) {
            return null;
        }
        if (option.defaultValue() != null) {
            Matcher env = ENV.matcher(option.defaultValue());
            if (env.find() && System.getenv(env.group(1)) != null) {
                return null; // the environment wins over the file
            }
        }
        String name = bare(option);
        String command = spec.command().name();
        return settings.getProperty(command + "." + name, settings.getProperty(name));
    }

    private static String bare(OptionSpec o) {
        return o.longestName().replaceFirst("^-+", "");
    }
}
