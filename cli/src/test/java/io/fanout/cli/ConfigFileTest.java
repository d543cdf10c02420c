package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigFileTest {

    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        Path f = dir.resolve("fanout.properties");
        Files.writeString(f, text);
        return f;
    }

    private static CoordinatorCommand parseCoordinator(Path config, String... args) {
        CommandLine cli = new CommandLine(new FanoutCli());
        ConfigFile file = ConfigFile.load(config);
        file.check(cli);
        cli.setDefaultValueProvider(file);
        String[] all = new String[args.length + 1];
        all[0] = "coordinator";
        System.arraycopy(args, 0, all, 1, args.length);
        cli.parseArgs(all);
        return cli.getSubcommands().get("coordinator").getCommand();
    }

    @Test
    void settingsComeFromTheFileAndFlagsWinOverIt() throws Exception {
        Path config = file("""
                jdbc-url=jdbc:postgresql://db:5432/fanout
                group-id=everyone
                coordinator.group-id=coordinators-of-team-a
                sweeper-max-replays=7
                sweeper-interval=PT30S
                no-sweeper=true
                """);
        CoordinatorCommand c = parseCoordinator(config);
        assertEquals("jdbc:postgresql://db:5432/fanout", c.db.jdbcUrl);
        assertEquals("coordinators-of-team-a", c.groupId, "a command's own key wins over the plain one");
        assertEquals(7, c.sweeperMaxReplays);
        assertEquals(Duration.ofSeconds(30), c.sweeperInterval);
        assertTrue(c.noSweeper);
        assertEquals(3, parseCoordinator(config, "--sweeper-max-replays", "3").sweeperMaxReplays, "a flag wins over the file");
    }

    @Test
    void anUnknownKeyOrAMissingFileFailsAtStartNamingIt() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        try {
            assertEquals(2, FanoutCli.run("--config", file("jdbc-ur=x\n").toString(), "executors"));
            assertEquals(2, FanoutCli.run("--config", dir.resolve("missing.properties").toString(), "executors"));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains("unknown setting 'jdbc-ur'"), err.toString());
        assertTrue(err.toString().contains("missing.properties cannot be read"), err.toString());
    }
}
