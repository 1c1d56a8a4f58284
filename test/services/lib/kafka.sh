# shellcheck shell=bash
# Apache Kafka 4.4.0 in KRaft mode: one JVM that is both broker and
# controller. PLAINTEXT listener 127.0.0.1:19092, controller 127.0.0.1:19093.
#
# Version: 4.4.0, the newest on Maven Central when this was written. The
# client under test, kafkajs 2.2.4, negotiates API versions that Kafka 4.x
# still serves (4.0 removed only very old protocol versions, KIP-896): checked
# against 4.4.0 with admin connect/createTopics/describeCluster/
# fetchTopicMetadata/describeGroups, a producer send and a consumer group
# join + consume. No 3.x fallback was needed.
#
# Kafka ships no Debian package, so the broker runs from its Maven Central
# jars: `mvn dependency:copy-dependencies` of org.apache.kafka:kafka_2.13 plus
# a log4j2 binding for its slf4j 1.7 logging, cached outside the repo in
# $CACHE_DIR/kafka-VERSION/libs (downloaded once per machine).

KAFKA_VERSION=4.4.0
# log4j-core/api come with Kafka; the slf4j 1.7 -> log4j2 bridge does not.
KAFKA_LOG4J_VERSION=2.25.5
KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093

kafka_libs() { echo "$CACHE_DIR/kafka-$KAFKA_VERSION/libs"; }

# Java major version on PATH, 0 when there is none.
kafka_java_major() {
  local v=
  if command -v java >/dev/null 2>&1; then
    v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  fi
  v="${v%%.*}"
  [[ "$v" =~ ^[0-9]+$ ]] || v=0
  printf '%s' "$v"
}

kafka_missing_packages() {
  if (($(kafka_java_major) < 17)); then
    echo openjdk-17-jre-headless
  fi
  # Maven is needed only until the jars are cached.
  if [[ ! -e "$(kafka_libs)/.complete" ]] && ! command -v mvn >/dev/null 2>&1; then
    echo maven
  fi
}

# Download the broker's jars (first run only). Into a temporary dir first so
# an interrupted download is never mistaken for a complete one.
kafka_fetch() {
  local libs tmp
  libs="$(kafka_libs)"
  [[ -e "$libs/.complete" ]] && return 0
  mkdir -p "$(dirname "$libs")"
  tmp="$(mktemp -d "$(dirname "$libs")/fetch.XXXXXX")"
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>probekit.test</groupId>
  <artifactId>kafka-server-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$KAFKA_LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  say "kafka: fetching Kafka $KAFKA_VERSION jars with Maven into $libs"
  if ! (cd "$tmp" && mvn -B -q -f pom.xml \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1); then
    local keep="$CACHE_DIR/kafka-fetch-failed.log"
    cp "$tmp/mvn.log" "$keep"
    rm -rf "$tmp"
    unavailable "kafka: downloading Kafka $KAFKA_VERSION from Maven Central failed (see $keep)"
  fi
  [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || {
    rm -rf "$tmp"
    die "kafka: Maven ran but kafka_2.13-$KAFKA_VERSION.jar is missing"
  }
  touch "$tmp/libs/.complete"
  rm -rf "$libs"
  mv "$tmp/libs" "$libs"
  rm -rf "$tmp"
}

kafka_ports() { echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT"; }
kafka_address() { echo "127.0.0.1:$KAFKA_PORT"; }
kafka_start_timeout() { echo 120; }
kafka_stop_timeout() { echo 60; }
kafka_stop_signal() { echo TERM; }

# Sets KAFKA_JAVA to the JVM command line: small heap; serial GC (fewer GC
# threads on 2 cores); C1 JIT only (TieredStopAtLevel=1: ~0.5 s faster start,
# and test traffic is too small to need C2); log4j2 writing into the state dir.
kafka_java_cmd() {
  local dir
  dir="$(svc_dir kafka)"
  KAFKA_JAVA=(java -Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$(kafka_libs)/*")
}

kafka_prepare() {
  local dir
  dir="$(svc_dir kafka)"
  # Config files are rewritten on every start (so changes here apply without
  # down.sh); the data dir is formatted once.
  # Single node: every internal topic gets replication 1 and a single
  # partition (50 __consumer_offsets partitions would slow the first group
  # join); no initial rebalance delay; few threads.
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted node waits for its previous incarnation's
# broker session to expire before it can register again (default 9 s).
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
log.cleaner.threads=1
EOF
  cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/log/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
EOF
  [[ -f "$dir/data/meta.properties" ]] && return 0
  rm -rf "$dir/data"
  # A cluster id is 16 random bytes, URL-safe base64 without padding (what
  # `kafka-storage random-uuid` prints, without starting a JVM for it).
  local cluster_id
  cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  kafka_java_cmd
  (cd "$dir" && "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format \
    --cluster-id "$cluster_id" --config "$dir/server.properties" --standalone \
    >>"$dir/log/format.log" 2>&1) || die "kafka: storage format failed (see $dir/log/format.log)"
}

kafka_launch() {
  local dir
  dir="$(svc_dir kafka)"
  kafka_java_cmd
  spawn kafka "$dir/log/stdout.log" "$dir" "${KAFKA_JAVA[@]}" kafka.Kafka "$dir/server.properties"
}

# A real Kafka round trip through the client under test: Metadata
# (describeCluster) and a group-coordinator lookup, which also creates
# __consumer_offsets so the first consumer group join in a test is fast.
# Exit 2 from the script means it cannot run at all (kafkajs not installed).
kafka_probe() {
  local rc=0
  timeout 20 node "$SERVICES_HOME/kafka-ready.mjs" "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1 || rc=$?
  ((rc != 2)) || die "kafka: cannot check readiness: kafkajs is not installed (run npm ci in the repo)"
  return "$rc"
}

kafka_provision() { :; }
kafka_ready() { kafka_probe; }
