package io.fanout.topics;

import io.fanout.shared.GroupIds;
import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.SecurityUtils;

/**
 * The Kafka ACLs each Fanout role needs, and nothing more, for an authorizer that denies what no
 * ACL allows (KRaft's StandardAuthorizer with {@code allow.everyone.if.no.acl.found=false}).
 * Every topic and group name is derived from the code's own naming ({@link TopicNames},
 * {@link GroupIds}), so a custom prefix, group or pool gets the ACLs that match it. All ACLs are
 * literal: a pool added later needs its ACLs applied again.
 *
 * <ul>
 *   <li><b>client</b>: writes job (and workflow run) requests, reads job events without a group.
 *   <li><b>executor</b>: reads its pools' task topics in its pool groups (or share groups), the
 *       reduce inputs and the control orders without a group; writes status, heartbeats and the
 *       dead letters of task records it cannot read.
 *   <li><b>coordinator</b>: everything else a running installation does: reads jobs and status in
 *       its group, indexes dead letters in a second group, writes tasks, job events, reduce inputs,
 *       control orders, dead and parked letters, recurring jobs and forwarded commands, and replays
 *       dead letters to the topic their record came from (a task topic or status). The operator
 *       commands ({@code fanout executors}) run as this role too: they also read job events and the
 *       executors' heartbeats and describe the executors' groups; dlq, cancel, suspend and resume
 *       are commands that the client role may send.
 *   <li><b>console</b> (the API and web console, which a browser or a token holder reaches): writes
 *       requests and commands to the jobs topic and reads job events, and, read-only, the
 *       executors' heartbeats and the pools' groups and task topics' offsets for the executors
 *       page. It cannot write tasks, status, control orders or dead letters, so a compromised
 *       console cannot act as the coordinator or an executor. Its actions (cancel, suspend,
 *       resume, retry, dead-letter replay and park) are commands that the owning coordinator
 *       carries out and whose records it writes.
 * </ul>
 *
 * An idempotent producer (every Fanout producer is one) needs no cluster ACL on brokers 3.0 and
 * later, where WRITE on a topic admits it; older brokers want IdempotentWrite on the cluster,
 * added by {@link Builder#idempotentWriteOnCluster}. No role uses transactions or creates topics
 * (provisioning them with {@code fanout topics apply} is an administrator's job).
 */
public final class RoleAcls {

    public static final String DEFAULT_COORDINATOR_PRINCIPAL = "User:fanout-coordinator";
    public static final String DEFAULT_EXECUTOR_PRINCIPAL = "User:fanout-executor";
    public static final String DEFAULT_CLIENT_PRINCIPAL = "User:fanout-client";
    public static final String DEFAULT_CONSOLE_PRINCIPAL = "User:fanout-console";

    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9._:/@=+,-]+");

    /** A Fanout process kind, with the principal it authenticates as. */
    public enum Role {
        COORDINATOR, EXECUTOR, CLIENT, CONSOLE;

        public String label() {
            return name().toLowerCase();
        }
    }

    /** How executors take tasks: which groups they join. */
    public enum TaskSource {
        GROUP, SHARE
    }

    /** One ACL and why the role needs it. */
    public record Grant(Role role, String principal, AclOperation operation, ResourceType resourceType, String resource, String why) {

        public AclBinding binding() {
            return new AclBinding(new ResourcePattern(resourceType, resource, PatternType.LITERAL),
                    new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
        }

        /** For example {@code Read topic fanout.jobs: job requests}. */
        public String describe() {
            return SecurityUtils.operationName(operation) + " " + resourceType.name().toLowerCase().replace('_', '-')
                    + (resourceType == ResourceType.CLUSTER ? "" : " " + resource) + ": " + why;
        }
    }

    /** What {@link #apply} did: the ACLs it created and how many were there already. */
    public record Applied(List<Grant> created, int present) {
    }

    private final TopicNames names;
    private final Map<Role, String> principals;
    private final Set<String> pools;
    private final String coordinatorGroup;
    private final String executorGroup;
    private final Set<TaskSource> taskSources;
    private final List<String> clientGroups;
    private final boolean idempotentWrite;

    private RoleAcls(Builder b) {
        this.names = b.names;
        this.principals = Map.of(Role.COORDINATOR, b.coordinatorPrincipal, Role.EXECUTOR, b.executorPrincipal, Role.CLIENT, b.clientPrincipal,
                Role.CONSOLE, b.consolePrincipal);
        Set<String> all = new TreeSet<>(b.pools);
        all.add(Pools.DEFAULT);
        this.pools = Set.copyOf(all);
        this.coordinatorGroup = b.coordinatorGroup;
        this.executorGroup = b.executorGroup;
        this.taskSources = Set.copyOf(b.taskSources);
        this.clientGroups = List.copyOf(b.clientGroups);
        this.idempotentWrite = b.idempotentWrite;
    }

    public static Builder builder(TopicNames names) {
        return new Builder(names);
    }

    public String principal(Role role) {
        return principals.get(role);
    }

    /** Every ACL, role by role (coordinator, executor, client, console). */
    public List<Grant> grants() {
        List<Grant> g = new ArrayList<>();
        List<String> pools = this.pools.stream().sorted().toList();

        Role c = Role.COORDINATOR;
        add(g, c, AclOperation.READ, ResourceType.GROUP, coordinatorGroup, "the coordinators' group, which shares out the jobs and status partitions");
        add(g, c, AclOperation.READ, ResourceType.GROUP, GroupIds.deadLetterIndex(coordinatorGroup), "the group that indexes dead letters in PostgreSQL");
        add(g, c, AclOperation.READ, ResourceType.TOPIC, names.jobs(), "job and workflow run requests");
        add(g, c, AclOperation.READ, ResourceType.TOPIC, names.status(), "status events and map requests from the executors");
        add(g, c, AclOperation.READ, ResourceType.TOPIC, names.deadLetters(), "dead letters to index");
        add(g, c, AclOperation.READ, ResourceType.TOPIC, names.jobEvents(), "the console and API follow jobs to their end");
        add(g, c, AclOperation.READ, ResourceType.TOPIC, names.executors(), "the executors' heartbeats, for fanout executors and the console");
        for (String pool : pools) {
            add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.tasks(pool), "tasks of pool " + pool + " (dispatch, retries, replays)");
        }
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.jobEvents(), "job progress and outcomes");
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.reduceInputs(), "subtask results streamed to the executor running a reduce");
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.control(), "orders to cancel, suspend or resume a job's tasks");
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.deadLetters(), "tasks that failed for good, status records it cannot read");
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.parkedLetters(), "dead letters parked by the sweeper or by a person's command");
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.jobs(), "recurring jobs (the scheduler), and commands forwarded to the partition that owns their job");
        add(g, c, AclOperation.WRITE, ResourceType.TOPIC, names.status(), "replaying an unreadable status record sends it back");
        for (String pool : pools) {
            String group = GroupIds.executors(executorGroup, pool);
            add(g, c, AclOperation.DESCRIBE, ResourceType.GROUP, group, "members and lag of pool " + pool + ", for the pool metrics, fanout executors and the console");
            if (taskSources.contains(TaskSource.SHARE)) { // a group it cannot describe is left out of the group list: the pool would read stalled
                add(g, c, AclOperation.DESCRIBE, ResourceType.GROUP, GroupIds.executorShare(group), "members and lag of pool " + pool + "'s share group");
            }
        }

        Role e = Role.EXECUTOR;
        for (String pool : pools) {
            String group = GroupIds.executors(executorGroup, pool);
            add(g, e, AclOperation.READ, ResourceType.TOPIC, names.tasks(pool), "tasks of pool " + pool);
            if (taskSources.contains(TaskSource.GROUP)) {
                add(g, e, AclOperation.READ, ResourceType.GROUP, group, "the consumer group of pool " + pool);
            }
            if (taskSources.contains(TaskSource.SHARE)) {
                String share = GroupIds.executorShare(group);
                add(g, e, AclOperation.READ, ResourceType.GROUP, share, "the share group of pool " + pool);
                add(g, e, AclOperation.DESCRIBE_CONFIGS, ResourceType.GROUP, share, "checks that the share group starts from the earliest task");
                add(g, e, AclOperation.ALTER_CONFIGS, ResourceType.GROUP, share, "makes a new share group start from the earliest task");
                add(g, e, AclOperation.DESCRIBE, ResourceType.GROUP, group, "a new share group starts where the pool's consumer group left off");
            }
        }
        add(g, e, AclOperation.READ, ResourceType.TOPIC, names.reduceInputs(), "a reduce streams its subtasks' results (no group)");
        add(g, e, AclOperation.READ, ResourceType.TOPIC, names.control(), "orders to cancel, suspend or resume a job's tasks (no group)");
        add(g, e, AclOperation.WRITE, ResourceType.TOPIC, names.status(), "status events and map requests");
        add(g, e, AclOperation.WRITE, ResourceType.TOPIC, names.executors(), "heartbeats");
        add(g, e, AclOperation.WRITE, ResourceType.TOPIC, names.deadLetters(), "task records it cannot read");

        Role cl = Role.CLIENT;
        add(g, cl, AclOperation.WRITE, ResourceType.TOPIC, names.jobs(), "job and workflow run requests");
        add(g, cl, AclOperation.READ, ResourceType.TOPIC, names.jobEvents(), "job progress and outcomes (FanoutClient reads them without a group)");
        for (String group : clientGroups) {
            add(g, cl, AclOperation.READ, ResourceType.GROUP, group, "a consumer group of your own that reads the job events");
        }

        Role co = Role.CONSOLE;
        add(g, co, AclOperation.WRITE, ResourceType.TOPIC, names.jobs(), "job and workflow run requests, and commands to the owning coordinator");
        add(g, co, AclOperation.READ, ResourceType.TOPIC, names.jobEvents(), "job progress and outcomes (read without a group)");
        add(g, co, AclOperation.READ, ResourceType.TOPIC, names.executors(), "the executors' heartbeats, for the executors page (no group)");
        for (String pool : pools) {
            String group = GroupIds.executors(executorGroup, pool);
            add(g, co, AclOperation.DESCRIBE, ResourceType.TOPIC, names.tasks(pool), "the offsets of pool " + pool + "'s tasks, for its lag");
            add(g, co, AclOperation.DESCRIBE, ResourceType.GROUP, group, "members and lag of pool " + pool + ", for the executors page");
            if (taskSources.contains(TaskSource.SHARE)) {
                add(g, co, AclOperation.DESCRIBE, ResourceType.GROUP, GroupIds.executorShare(group), "members and lag of pool " + pool + "'s share group");
            }
        }

        if (idempotentWrite) {
            for (Role r : Role.values()) {
                add(g, r, AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, org.apache.kafka.common.resource.Resource.CLUSTER_NAME,
                        "idempotent producers, on brokers older than 3.0");
            }
        }
        return g;
    }

    private void add(List<Grant> grants, Role role, AclOperation op, ResourceType type, String resource, String why) {
        grants.add(new Grant(role, principals.get(role), op, type, resource, why));
    }

    /**
     * The grants as {@code kafka-acls.sh} commands, role by role, each grant's reason in a comment
     * above the commands: one command per principal, resource type and operation.
     *
     * @param commandConfig the admin client's properties file for {@code --command-config}, or null
     */
    public String kafkaAclsCommands(String bootstrapServers, String commandConfig) {
        StringBuilder b = new StringBuilder();
        b.append("# Kafka ACLs of Fanout's roles: topic prefix '").append(names.prefix()).append("', pools ").append(pools.stream().sorted().toList())
                .append(", coordinator group ").append(coordinatorGroup).append(", executor group ").append(executorGroup).append('\n');
        b.append("# Run them as a principal that may alter ACLs (a super user), or run `fanout topics acls --apply` with the same options.\n");
        Map<Role, List<Grant>> byRole = new LinkedHashMap<>();
        grants().forEach(gr -> byRole.computeIfAbsent(gr.role(), r -> new ArrayList<>()).add(gr));
        byRole.forEach((role, grants) -> {
            b.append("\n# ").append(role.label()).append(" (").append(principals.get(role)).append(")\n");
            grants.forEach(gr -> b.append("#   ").append(gr.describe()).append('\n'));
            Map<String, List<Grant>> byCommand = new LinkedHashMap<>();
            grants.forEach(gr -> byCommand.computeIfAbsent(gr.resourceType() + " " + gr.operation(), k -> new ArrayList<>()).add(gr));
            byCommand.values().forEach(same -> b.append(command(bootstrapServers, commandConfig, same)).append('\n'));
        });
        return b.toString();
    }

    private static String command(String bootstrapServers, String commandConfig, List<Grant> same) {
        Grant first = same.get(0);
        StringBuilder b = new StringBuilder("kafka-acls.sh --bootstrap-server ").append(quote(bootstrapServers));
        if (commandConfig != null) {
            b.append(" --command-config ").append(quote(commandConfig));
        }
        b.append(" --add --allow-principal ").append(quote(first.principal())).append(" --operation ").append(SecurityUtils.operationName(first.operation()));
        for (String resource : same.stream().map(Grant::resource).distinct().toList()) {
            switch (first.resourceType()) {
                case TOPIC -> b.append(" --topic ").append(quote(resource));
                case GROUP -> b.append(" --group ").append(quote(resource));
                case CLUSTER -> b.append(" --cluster");
                default -> throw new IllegalStateException("no kafka-acls.sh option for " + first.resourceType());
            }
        }
        return b.toString();
    }

    /** A word for a POSIX shell: as it is if it needs no quoting, in single quotes otherwise. */
    static String quote(String word) {
        return PLAIN_WORD.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * Creates the ACLs the cluster lacks and leaves the others: applying twice changes nothing.
     * Never removes an ACL. Needs DESCRIBE and ALTER on the cluster (a super user has them).
     */
    public Applied apply(Admin admin) {
        List<Grant> grants = grants();
        Set<AclBinding> present = new HashSet<>();
        try {
            for (String principal : new TreeSet<>(principals.values())) {
                present.addAll(admin.describeAcls(new AclBindingFilter(ResourcePatternFilter.ANY,
                        new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY))).values().get());
            }
            Map<AclBinding, Grant> missing = new LinkedHashMap<>();
            grants.stream().filter(gr -> !present.contains(gr.binding())).forEach(gr -> missing.putIfAbsent(gr.binding(), gr));
            if (!missing.isEmpty()) {
                admin.createAcls(missing.keySet()).all().get();
            }
            return new Applied(List.copyOf(missing.values()), (int) grants.stream().map(Grant::binding).distinct().filter(present::contains).count());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while applying ACLs", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not apply the ACLs (the admin principal needs DESCRIBE and ALTER on the cluster, and the brokers "
                    + "an authorizer): " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The roles' principals, groups, pools and task sources; every setting has a default. */
    public static final class Builder {
        private final TopicNames names;
        private String coordinatorPrincipal = DEFAULT_COORDINATOR_PRINCIPAL;
        private String executorPrincipal = DEFAULT_EXECUTOR_PRINCIPAL;
        private String clientPrincipal = DEFAULT_CLIENT_PRINCIPAL;
        private String consolePrincipal = DEFAULT_CONSOLE_PRINCIPAL;
        private Set<String> pools = Set.of(Pools.DEFAULT);
        private String coordinatorGroup = GroupIds.DEFAULT_COORDINATORS;
        private String executorGroup = GroupIds.DEFAULT_EXECUTORS;
        private Set<TaskSource> taskSources = Set.of(TaskSource.GROUP);
        private List<String> clientGroups = List.of();
        private boolean idempotentWrite;

        private Builder(TopicNames names) {
            this.names = Objects.requireNonNull(names, "names");
        }

        public Builder coordinatorPrincipal(String principal) {
            this.coordinatorPrincipal = principal(principal, "coordinator");
            return this;
        }

        public Builder executorPrincipal(String principal) {
            this.executorPrincipal = principal(principal, "executor");
            return this;
        }

        public Builder clientPrincipal(String principal) {
            this.clientPrincipal = principal(principal, "client");
            return this;
        }

        public Builder consolePrincipal(String principal) {
            this.consolePrincipal = principal(principal, "console");
            return this;
        }

        /** The executor pools (the default pool is always one of them). */
        public Builder pools(Set<String> pools) {
            pools.forEach(Pools::check);
            this.pools = Set.copyOf(pools);
            return this;
        }

        /** The coordinators' group id (their {@code --group-id}). */
        public Builder coordinatorGroup(String group) {
            this.coordinatorGroup = group(group, "coordinator");
            return this;
        }

        /** The executors' base group id (their {@code --group-id}); each pool's group is derived from it. */
        public Builder executorGroup(String group) {
            this.executorGroup = group(group, "executor");
            return this;
        }

        /** How the executors take their tasks (their {@code --task-source}): the groups they need. */
        public Builder taskSources(Set<TaskSource> sources) {
            if (sources.isEmpty()) {
                throw new IllegalArgumentException("name at least one task source: group or share");
            }
            this.taskSources = Set.copyOf(sources);
            return this;
        }

        /** Consumer groups of the users' own applications that read job events (FanoutClient needs none). */
        public Builder clientGroups(List<String> groups) {
            groups.forEach(gr -> group(gr, "client"));
            this.clientGroups = List.copyOf(groups);
            return this;
        }

        /** Also grant IdempotentWrite on the cluster to every role, which brokers older than 3.0 require of idempotent producers. */
        public Builder idempotentWriteOnCluster(boolean grant) {
            this.idempotentWrite = grant;
            return this;
        }

        public RoleAcls build() {
            return new RoleAcls(this);
        }

        private static String principal(String principal, String role) {
            try {
                SecurityUtils.parseKafkaPrincipal(principal);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + role + " principal '" + principal + "' must be TYPE:NAME, e.g. User:fanout-" + role);
            }
            if (principal.endsWith(":")) {
                throw new IllegalArgumentException("the " + role + " principal '" + principal + "' names no one: use TYPE:NAME, e.g. User:fanout-" + role);
            }
            return principal;
        }

        private static String group(String group, String role) {
            if (group == null || group.isBlank()) {
                throw new IllegalArgumentException("the " + role + " group id must not be empty");
            }
            return group;
        }
    }

    @Override
    public String toString() {
        return grants().stream().map(gr -> gr.role().label() + " " + gr.describe()).collect(Collectors.joining("\n"));
    }
}
