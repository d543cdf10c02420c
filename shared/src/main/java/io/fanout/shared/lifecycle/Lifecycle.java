package io.fanout.shared.lifecycle;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A lifecycle as data: for each state, the states it may be reached from (in the manner of Kafka's
 * {@code MemberState} or JobRunr's allowed state changes). A state with no predecessors can only
 * be a starting state. Every write of the state asks {@link #check} first, and the unit tests walk
 * the whole table, so "may A become B?" has one answer, readable in one place.
 */
public final class Lifecycle<S extends Enum<S>> {

    private final String name;
    private final Set<S> initial;
    private final Map<S, Set<S>> predecessors;

    private Lifecycle(String name, Set<S> initial, Map<S, Set<S>> predecessors) {
        this.name = name;
        this.initial = initial;
        this.predecessors = predecessors;
    }

    /** Starts a table for the states of {@code type}; states never named stay unreachable. */
    public static <S extends Enum<S>> Builder<S> of(String name, Class<S> type) {
        return new Builder<>(name, type);
    }

    /** The states a new entity may be created in. */
    public Set<S> initial() {
        return initial;
    }

    /** The states {@code state} may be reached from. */
    public Set<S> predecessors(S state) {
        return predecessors.get(state);
    }

    /** The states {@code state} may move to. */
    public Set<S> successors(S state) {
        Set<S> next = EnumSet.noneOf(state.getDeclaringClass());
        predecessors.forEach((to, from) -> {
            if (from.contains(state)) {
                next.add(to);
            }
        });
        return next;
    }

    public boolean allows(S from, S to) {
        return predecessors.get(to).contains(from);
    }

    /** Throws unless {@code from} may become {@code to}. */
    public void check(S from, S to) {
        if (!allows(from, to)) {
            throw new IllegalTransitionException(name + " cannot move from " + from + " to " + to + " (it may be reached from " + predecessors.get(to) + ")");
        }
    }

    /** Throws unless every state of {@code from} may become {@code to}. */
    public void check(Set<S> from, S to) {
        from.forEach(f -> check(f, to));
    }

    /** A refused transition: a bug in the writer that asked for it, never a condition to handle. */
    public static final class IllegalTransitionException extends IllegalStateException {
        IllegalTransitionException(String message) {
            super(message);
        }
    }

    public static final class Builder<S extends Enum<S>> {
        private final String name;
        private final Class<S> type;
        private final Set<S> initial;
        private final Map<S, Set<S>> predecessors;

        private Builder(String name, Class<S> type) {
            this.name = name;
            this.type = type;
            this.initial = EnumSet.noneOf(type);
            this.predecessors = new EnumMap<>(type);
            for (S s : type.getEnumConstants()) {
                predecessors.put(s, EnumSet.noneOf(type));
            }
        }

        @SafeVarargs
        public final Builder<S> initial(S... states) {
            initial.addAll(List.of(states));
            return this;
        }

        /** {@code state} may be reached from each of {@code from}. */
        @SafeVarargs
        public final Builder<S> from(S state, S... from) {
            predecessors.get(state).addAll(List.of(from));
            return this;
        }

        /** {@code state} may be reached from each of {@code from}. */
        public Builder<S> from(S state, Set<S> from) {
            predecessors.get(state).addAll(from);
            return this;
        }

        @SuppressWarnings("unchecked")
        public Lifecycle<S> build() {
            Map<S, Set<S>> frozen = new EnumMap<>(type);
            predecessors.forEach((s, from) -> frozen.put(s, Collections.unmodifiableSet(EnumSet.copyOf((EnumSet<S>) from))));
            return new Lifecycle<>(name, Collections.unmodifiableSet(initial), Collections.unmodifiableMap(frozen));
        }
    }
}
