package io.fanout.client;

import io.fanout.shared.TopicNames;
import io.fanout.shared.command.Command;
import io.fanout.shared.command.CommandResult;
import io.fanout.shared.command.JobCommand;
import io.fanout.shared.command.LetterCommand;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Submits jobs and follows them, over Kafka only: requests go to the jobs topic as JSON, progress
 * and outcomes come back on the job-events topic. Follows events from the moment it connects, so
 * connect before submitting the jobs you want to await.
 */
public final class FanoutClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FanoutClient.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicNames topics;
    private final Map<UUID, BlockingQueue<JobEvent>> watched = new ConcurrentHashMap<>();
    private final Map<UUID, CompletableFuture<JobEvent>> answers = new ConcurrentHashMap<>();
    private final Thread listener;
    private volatile boolean running = true;

    private FanoutClient(Map<String, Object> kafka, TopicNames topics) {
        this.topics = topics;
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "fanout-client");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0); // a submit is one record: waiting for others only delays it (Kafka 4's default is 5 ms)
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fanout-client-events");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.jobEvents()).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition()))
                    .toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topics.jobEvents() + " does not exist: provision the topics first (fanout topics apply)");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fixes the start point now, before any submit
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            closeClients();
            throw new IllegalStateException("Kafka at " + kafka.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) + " did not answer within "
                    + c.getOrDefault(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000) + " ms: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeClients();
            throw e;
        }
        this.listener = Thread.ofPlatform().daemon().name("fanout-client-events").start(this::listen);
    }

    /** Closes the producer and the consumer of a client that could not be set up. */
    private void closeClients() {
        producer.close(Duration.ZERO);
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
    }

    public static FanoutClient connect(Map<String, Object> kafka, TopicNames topics) {
        return new FanoutClient(kafka, topics);
    }

    public static FanoutClient connect(String bootstrapServers, TopicNames topics) {
        return connect(Map.of("bootstrap.servers", bootstrapServers), topics);
    }

    /**
     * Follows a job's events from now on, so a later {@link #await} sees them: for a job submitted
     * elsewhere, or one about to be reopened by replaying its dead letters.
     */
    public void follow(UUID jobId) {
        watched.computeIfAbsent(jobId, id -> new LinkedBlockingQueue<>());
    }

    /** Sends the request and returns its job id once Kafka has it. The job's events are followed from now on. */
    public UUID submit(JobRequest request) {
        return send(request.id(), JobRequests.toJson(request), "job");
    }

    /**
     * Sends a workflow run request and returns the run id once Kafka has it. The run's events (its
     * nodes', and its outcome) are followed from now on: {@link #await} the run id for its outcome.
     */
    public UUID run(WorkflowRunRequest request) {
        return send(request.runId(), request.toJson(), "workflow run");
    }

    /** Asks the job's coordinator to cancel it, and waits for its answer (see {@link #command}). */
    public CommandResult cancel(UUID jobId, String actor, Duration timeout) throws InterruptedException, TimeoutException {
        return command(JobCommand.of(JobCommand.Kind.CANCEL, jobId, actor), timeout);
    }

    /** Asks the job's coordinator to suspend it, and waits for its answer (see {@link #command}). */
    public CommandResult suspend(UUID jobId, String actor, Duration timeout) throws InterruptedException, TimeoutException {
        return command(JobCommand.of(JobCommand.Kind.SUSPEND, jobId, actor), timeout);
    }

    /** Asks the job's coordinator to resume it, and waits for its answer (see {@link #command}). */
    public CommandResult resume(UUID jobId, String actor, Duration timeout) throws InterruptedException, TimeoutException {
        return command(JobCommand.of(JobCommand.Kind.RESUME, jobId, actor), timeout);
    }

    /**
     * Sends a command to the jobs topic, keyed by the job or run it names (so it lands where that
     * one's request did), and waits for the owning coordinator's answer on the job-events topic:
     * done, refused (the state does not allow it) or not found. A command not answered in time
     * throws, saying it is still pending: it is carried out when the owner reads it, so it may still be.
     */
    public CommandResult command(Command command, Duration timeout) throws InterruptedException, TimeoutException {
        JobEvent e = exchange(command, timeout);
        if (e.type() != JobEvent.Type.REFUSED) {
            return CommandResult.done(e.reason());
        }
        return e.state() == null ? CommandResult.notFound(e.reason()) : CommandResult.refused(e.reason());
    }

    /**
     * Sends a dead-letter command (see {@link #command}) and returns what its letters' owner did to
     * each letter, in the command's order.
     */
    public List<LetterResult> letters(LetterCommand command, Duration timeout) throws InterruptedException, TimeoutException {
        return results(command, exchange(command, timeout));
    }

    /**
     * Sends dead-letter commands all at once (for the letters of several jobs) and waits for their
     * answers together, up to {@code timeout} in all. A command not answered in time is not an error:
     * each of its letters is {@link LetterResult#pending}, since its owner may still carry it out.
     */
    public List<LetterResult> letters(List<LetterCommand> commands, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<JobEvent>> asked = new ArrayList<>();
        try {
            for (LetterCommand command : commands) {
                try {
                    asked.add(ask(command, deadline));
                } catch (TimeoutException e) {
                    asked.add(CompletableFuture.failedFuture(e)); // not sent in time: pending like one not answered
                }
            }
            List<LetterResult> results = new ArrayList<>();
            for (int i = 0; i < commands.size(); i++) {
                LetterCommand command = commands.get(i);
                try {
                    results.addAll(results(command, asked.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)));
                } catch (TimeoutException | ExecutionException e) {
                    String why = pending(command, timeout);
                    command.letters().forEach(id -> results.add(LetterResult.pending(id, why)));
                }
            }
            return results;
        } finally {
            commands.forEach(c -> answers.remove(c.id()));
        }
    }

    /** The letters' results an answer lists; a command refused as a whole gives each of its letters the reason. */
    private static List<LetterResult> results(LetterCommand command, JobEvent answer) {
        List<LetterResult> results = LetterResult.fromJson(answer.result());
        return results.isEmpty() ? command.letters().stream().map(id -> new LetterResult(id, false, answer.reason())).toList() : results;
    }

    /** Sends the command keyed by its target and returns the event that answers it. */
    private JobEvent exchange(Command command, Duration timeout) throws InterruptedException, TimeoutException {
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            return ask(command, deadline).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(command.describe() + " was not sent: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new TimeoutException(pending(command, timeout));
        } finally {
            answers.remove(command.id());
        }
    }

    /**
     * Sends the command keyed by its target (where its target's request landed), waiting until
     * {@code deadline} (a {@link System#nanoTime}) for Kafka to have it; the future completes with the
     * event that answers it. The caller removes the answer's registration when done with it.
     */
    private CompletableFuture<JobEvent> ask(Command command, long deadline) throws InterruptedException, TimeoutException {
        CompletableFuture<JobEvent> answer = new CompletableFuture<>();
        answers.put(command.id(), answer);
        try {
            producer.send(new ProducerRecord<>(topics.jobs(), command.target().toString().getBytes(StandardCharsets.UTF_8), command.toJson()))
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            answers.remove(command.id());
            throw new IllegalStateException(command.describe() + " was not accepted by Kafka: " + e.getCause().getMessage(), e.getCause());
        }
        return answer;
    }

    private static String pending(Command command, Duration timeout) {
        return command.describe() + " (command " + command.id() + ") is pending: not answered within " + timeout
                + "; the coordinator that owns it carries it out when it reads it (is one running?)";
    }

    /** Sends a request keyed by its id to the jobs topic, following the id's events from now on. */
    private UUID send(UUID id, byte[] request, String what) {
        follow(id);
        try {
            producer.send(new ProducerRecord<>(topics.jobs(), id.toString().getBytes(StandardCharsets.UTF_8), request)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while submitting " + what + " " + id, e);
        } catch (ExecutionException e) {
            watched.remove(id);
            throw new IllegalStateException(what + " " + id + " was not accepted by Kafka: " + e.getCause().getMessage(), e.getCause());
        }
        return id;
    }

    /**
     * Waits for the job's final event (SUCCEEDED, FAILED or REJECTED), or a workflow run's (RUN_FINISHED or REJECTED), passing every event on the
     * way (progress included) to {@code onEvent}.
     */
    public JobEvent await(UUID jobId, Duration timeout, Consumer<JobEvent> onEvent) throws TimeoutException, InterruptedException {
        BlockingQueue<JobEvent> events = watched.computeIfAbsent(jobId, id -> new LinkedBlockingQueue<>());
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                JobEvent e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (e == null) {
                    throw new TimeoutException("job " + jobId + " did not finish within " + timeout);
                }
                onEvent.accept(e);
                if (e.isFinal()) {
                    return e;
                }
            }
        } finally {
            watched.remove(jobId);
        }
    }

    public JobEvent await(UUID jobId, Duration timeout) throws TimeoutException, InterruptedException {
        return await(jobId, timeout, e -> { });
    }

    private void listen() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    JobEvent event;
                    try {
                        event = Json.mapper().readValue(r.value(), JobEvent.class);
                    } catch (IOException e) {
                        log.warn("skipping unreadable job event at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                        continue;
                    }
                    if (event.command() != null) {
                        CompletableFuture<JobEvent> answer = answers.get(event.command());
                        if (answer != null) {
                            answer.complete(event);
                        }
                    }
                    if (event.jobId() != null) {
                        BlockingQueue<JobEvent> q = watched.get(event.jobId());
                        if (q != null) {
                            q.add(event);
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        listener.join(5000);
        producer.close(Duration.ofSeconds(5));
    }
}
