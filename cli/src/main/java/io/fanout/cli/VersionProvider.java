package io.fanout.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code fanout --version}: the version the build wrote into {@code version.properties}, and the Java runtime. */
final class VersionProvider implements IVersionProvider {

    /** This build's version, e.g. 0.1.0-SNAPSHOT. */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // reported as unknown below
        }
        String v = p.getProperty("version");
        return v == null || v.startsWith("${") ? "unknown (not built by Maven)" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"fanout " + version(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"};
    }
}
