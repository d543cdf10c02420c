package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** Issue 22, M5: compose.yaml publishes every port on this machine's loopback only (ComposeIT runs the file where Docker is). */
class ComposeFileIT {

    @Test
    @SuppressWarnings("unchecked")
    void everyPublishedPortIsBoundTo127001() throws Exception {
        Path file = Path.of("..", "compose.yaml");
        Map<String, Object> compose = new Yaml().load(Files.readString(file));
        List<String> published = new ArrayList<>();
        ((Map<String, Map<String, Object>>) compose.get("services")).forEach((name, service) -> {
            for (Object port : (List<Object>) service.getOrDefault("ports", List.of())) {
                published.add(name + " " + port);
            }
        });
        assertTrue(published.size() >= 2, published.toString());
        assertEquals(List.of(), published.stream().filter(p -> !p.split(" ")[1].startsWith("127.0.0.1:")).toList(), "published on every interface");
    }
}
