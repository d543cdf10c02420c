package io.fanout.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import picocli.CommandLine.Option;

/**
 * {@code -o/--output}: text for people, or JSON for scripts. JSON goes to stdout alone (messages
 * and progress go to stderr), in the shapes the REST API answers with, times as ISO-8601 strings.
 */
final class OutputOptions {

    /** Lower case, as typed: picocli completes and checks the values by these names. */
    enum Format { text, json }

    private static final ObjectMapper JSON = JsonMapper.builder().addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "text (default) or json: one JSON document on stdout, for scripts and jq.")
    Format format = Format.text;

    boolean json() {
        return format == Format.json;
    }

    /** Prints {@code value} as an indented JSON document. */
    void print(Object value) {
        System.out.println(write(value, true));
    }

    /** {@code value} as JSON: indented, or on one line (a JSON line of a stream). */
    static String write(Object value, boolean indented) {
        try {
            return indented ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value) : JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getName() + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The JSON tree of {@code value}, to add fields to before printing. */
    static com.fasterxml.jackson.databind.node.ObjectNode tree(Object value) {
        return JSON.valueToTree(value);
    }
}
