package io.fanout.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.RetentionStore;
import io.fanout.coordinator.store.RetryQueue;
import io.fanout.coordinator.store.TaskReplay;
import io.fanout.coordinator.store.TaskStatuses;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.coordinator.store.WorkflowStore;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One writer per job, checked on the compiled classes: the API, the console and the CLI send
 * commands and never change a job, a task or a workflow run themselves, and within the
 * coordinator only the owner's loop (and the repositories it calls) does.
 */
class SingleWriterArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.fanout");

    /** The methods that change the state of a job, its tasks, its dead letters or a workflow run, by their repository. */
    private static final Map<Class<?>, Set<String>> STATE_CHANGES = Map.of(
            JobStore.class, Set.of("insert", "transition", "expire", "move", "recordReduceInput"),
            TaskStore.class, Set.of("insert", "startAt", "cancelUnfinished"),
            TaskStatuses.class, Set.of("apply"),
            WorkflowStore.class, Set.of("insertRuns", "endNodesOfEndedJobs", "moveRun", "resetNodes", "markSucceeded", "cancelNodes", "updateNodes",
                    "endRuns", "takeWoken"),
            WaitingTasks.class, Set.of("release"),
            RetryQueue.class, Set.of("markDispatched"),
            TaskReplay.class, Set.of("apply"),
            RetentionStore.class, Set.of("deleteExpiredJobs", "purgeTasks", "deleteOldRuns", "deleteOldLetters"),
            DeadLetterStore.class, Set.of("setState"));

    private static final DescribedPredicate<JavaAccess<?>> CHANGES_STATE = DescribedPredicate.describe("change a job's, a task's or a run's state",
            access -> STATE_CHANGES.entrySet().stream().anyMatch(e -> access.getTargetOwner().isEquivalentTo(e.getKey())
                    && e.getValue().contains(access.getName())));

    @Test
    void theApiTheConsoleAndTheCommandLineSendCommandsAndChangeNoJobThemselves() {
        noClasses().that().resideInAnyPackage("io.fanout.console..", "io.fanout.cli..", "io.fanout.client..")
                .should().dependOnClassesThat().resideInAPackage("io.fanout.coordinator.control..")
                .because("an operator's action is a command on the jobs topic, carried out by the job's coordinator")
                .check(CLASSES);
        noClasses().that().resideInAnyPackage("io.fanout.console..", "io.fanout.cli..", "io.fanout.client..")
                .should().callCodeUnitWhere(CHANGES_STATE)
                .because("only the coordinator that owns a job writes it")
                .check(CLASSES);
    }

    @Test
    void theCommandLineAndTheConsoleReadThroughTheQueryModule() {
        noClasses().that().resideInAnyPackage("io.fanout.console..", "io.fanout.cli..")
                .should().dependOnClassesThat(resideInAPackage("io.fanout.coordinator.store..").and(not(equivalentTo(Database.class))))
                .because("what they show of jobs, tasks, letters and runs is read through io.fanout.query, as typed records; the coordinator's "
                        + "repositories are its owner's (Database only opens the pool)")
                .check(CLASSES);
        noClasses().that().resideInAnyPackage("io.fanout.console..", "io.fanout.cli..")
                .and().doNotHaveSimpleName("AuditLog").and().doNotHaveSimpleName("ApiTokens")
                .should().callMethod(Connection.class, "prepareStatement", String.class)
                .orShould().callMethod(Connection.class, "createStatement")
                .because("their SQL is the query module's, except for the two tables the console owns itself (API tokens and the audit log)")
                .check(CLASSES);
    }

    @Test
    void theRepositoriesAreTheBottomLayerOfTheCoordinator() {
        noClasses().that().resideInAPackage("io.fanout.coordinator.store..")
                .should().dependOnClassesThat(resideInAPackage("io.fanout.coordinator..").and(not(resideInAPackage("io.fanout.coordinator.store.."))))
                .because("the features (dispatch, schedules, workflows, the loop) use the repositories, never the other way round: no package cycle")
                .check(CLASSES);
    }

    /** The SQL itself, which the compiled classes do not show: every UPDATE or DELETE of a job, task, letter or run row is in a repository. */
    @Test
    void everyUpdateAndDeleteOfJobsTasksLettersAndRunsIsInTheRepositories() throws IOException {
        Pattern write = Pattern.compile("(?i)\\b(UPDATE|DELETE\\s+FROM)\\s+fanout_(job|task|dead_letter|workflow_run|workflow_node)\\b");
        Path repositories = Path.of("coordinator", "src", "main", "java", "io", "fanout", "coordinator", "store");
        Path root = Stream.of(Path.of(".."), Path.of(".")).map(p -> p.toAbsolutePath().normalize())
                .filter(p -> Files.isDirectory(p.resolve(repositories))).findFirst().orElseThrow(); // the module's directory (Maven) or the project's
        List<Path> writers;
        try (Stream<Path> files = Files.walk(root)) {
            writers = files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("src" + File.separator + "main"))
                    .filter(f -> write.matcher(read(f)).find())
                    .map(root::relativize)
                    .toList();
        }
        assertTrue(writers.contains(repositories.resolve("JobStore.java")), "the scan finds the repositories' own statements under " + root);
        assertEquals(List.of(), writers.stream().filter(f -> !f.startsWith(repositories)).map(Path::toString).toList(),
                "job, task, letter and run rows are written by the coordinator's repositories only");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void withinTheCoordinatorOnlyTheOwnersLoopChangesJobsTasksAndRuns() {
        noClasses().that().resideInAPackage("io.fanout.coordinator..")
                .and().resideOutsideOfPackages(
                        "io.fanout.coordinator.loop..",      // the batch and the housekeeping
                        "io.fanout.coordinator.control..",   // commands, carried out in the batch
                        "io.fanout.coordinator.workflow..",  // workflow runs, moved on in the batch and the housekeeping
                        "io.fanout.coordinator.retention..", // the owner's retention step
                        "io.fanout.coordinator.store..",     // the repositories themselves
                        "io.fanout.coordinator.reduce..",    // the reduce feeder records the input range of the owner's reducing jobs
                        "io.fanout.coordinator.deadletter..") // replay and park, called from the batch and the housekeeping only (below)
                .should().callCodeUnitWhere(CHANGES_STATE)
                .because("the coordinator that owns a job is its only writer, from its loop")
                .check(CLASSES);
        classes().that().haveSimpleName("LetterActions").or().haveSimpleName("PartitionSweeper")
                .should().onlyBeAccessed().byAnyPackage("io.fanout.coordinator", "io.fanout.coordinator.loop..", "io.fanout.coordinator.control..",
                        "io.fanout.coordinator.deadletter..")
                .because("dead letters are replayed and parked by their partition's owner: by its commands in the batch, by its sweeper in the housekeeping")
                .check(CLASSES);
    }
}
