# The fanout command in an image: coordinators, executors and topic provisioning all run from it.
#   docker build -t fanout .
#   docker run --rm fanout --help
# Your processors: mount their jar and set FANOUT_CLASSPATH, or build FROM this image and add it;
# an executor runs those named with --processor NAME=CLASS (or the bundled examples with --examples).

FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests -pl cli -am package

FROM eclipse-temurin:21-jre
RUN useradd --system --uid 10001 fanout
WORKDIR /opt/fanout
COPY --from=build /src/cli/target/classes classes
COPY --from=build /src/cli/target/lib lib
USER fanout
ENV FANOUT_CLASSPATH=""
ENTRYPOINT ["sh", "-c", "exec java $FANOUT_JAVA_OPTS -cp \"/opt/fanout/classes:/opt/fanout/lib/*${FANOUT_CLASSPATH:+:$FANOUT_CLASSPATH}\" io.fanout.cli.FanoutCli \"$@\"", "fanout"]
CMD ["--help"]
