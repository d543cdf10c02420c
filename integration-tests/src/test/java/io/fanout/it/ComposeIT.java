package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The Docker image and compose.yaml end to end, with Testcontainers: {@code docker compose up
 * --build} of the file as shipped (Kafka and PostgreSQL from their images, topics provisioned, a
 * coordinator, two executors and the console from the project's image), every Fanout container
 * healthy by compose.yaml's own health checks, and one job that succeeds. Needs a Docker engine
 * (with the compose plugin, or the docker image Testcontainers runs compose from); where there is
 * none it is skipped at once, saying so. The first run builds the image (some minutes: Maven fetches
 * the dependencies inside the build); it publishes the ports compose.yaml publishes (9400, 8080),
 * which must be free.
 */
class ComposeIT {

    private static final String CLI = "io.fanout.cli.FanoutCli";

    @Test
    void composeUpRunsAJobOnTheProjectsImage() throws Exception {
        assumeTrue(dockerAvailable(), "no Docker engine here, so the end-to-end test of the Docker image and compose.yaml is skipped "
                + "(it runs wherever `docker info` works; README.md, Containers)");
        Path root = repositoryRoot();
        ComposeContainer compose = (localCompose() ? new ComposeContainer(new File(root.toFile(), "compose.yaml"))
                : new ComposeContainer(org.testcontainers.utility.DockerImageName.parse("docker:28.2.2"), new File(root.toFile(), "compose.yaml")))
                .withBuild(true)
                .withScaledService("executor", 2)
                .withServices("kafka", "postgres", "topics", "coordinator", "executor", "console")
                .waitingFor("coordinator", Wait.forHealthcheck())
                .waitingFor("executor-1", Wait.forHealthcheck())
                .waitingFor("executor-2", Wait.forHealthcheck())
                .waitingFor("console", Wait.forHealthcheck())
                .withStartupTimeout(Duration.ofMinutes(20))
                .withTailChildContainers(false);
        try {
            compose.start();
            ContainerState coordinator = compose.getContainerByServiceName("coordinator").orElseThrow();

            ExecResult submitted = fanout(coordinator, "submit", "primes", "--params", "{\"limit\": 100000, \"slices\": 20}", "--wait", "--timeout", "PT5M");
            assertEquals(0, submitted.getExitCode(), submitted.getStdout() + submitted.getStderr());
            assertThat(submitted.getStdout()).contains("SUCCEEDED").contains("9592"); // the primes below 100,000

            await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
                    assertThat(fanout(coordinator, "executors").getStdout()).contains("pool default").contains(": 2 executors"));
            // the coordinator's metrics, as the port compose.yaml publishes serves them
            ExecResult metrics = coordinator.execInContainer("java", "-cp", "/opt/fanout/classes", "io.fanout.cli.HealthCheck",
                    "http://127.0.0.1:9400/metrics");
            assertEquals(0, metrics.getExitCode(), metrics.getStderr());
        } finally {
            compose.stop();
        }
    }

    /** {@code fanout ARGS} in a container of the image, with its environment (the Kafka and database settings of compose.yaml). */
    private static ExecResult fanout(ContainerState container, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("java", "-cp", "/opt/fanout/classes:/opt/fanout/lib/*", CLI));
        command.addAll(List.of(args));
        return container.execInContainer(command.toArray(String[]::new));
    }

    /** Whether Testcontainers finds a Docker engine (quick where there is none: no socket, no DOCKER_HOST). */
    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Whether {@code docker compose} works here; if not, Testcontainers runs compose from the docker image. */
    private static boolean localCompose() {
        try {
            Process p = new ProcessBuilder("docker", "compose", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("compose.yaml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no compose.yaml above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
