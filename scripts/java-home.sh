# Sourced by ./renderloop, scripts/test and .ci/run: exports JAVA_HOME pointing at a JDK 21 or newer.
# The machine's default java may be 17; a newer JDK usually sits beside it under /usr/lib/jvm.
renderloop_java_major() {  # prints the feature version of the JDK at $1, or nothing
  local release="$1/release"
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
  fi
}
renderloop_pick_jdk() {
  local candidate major best="" best_major=0
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
    [ -n "$candidate" ] && [ -d "$candidate" ] || continue
    major=$(renderloop_java_major "$candidate")
    [ -n "$major" ] || continue
    # Prefer the caller's JAVA_HOME when it is new enough, else the newest one found.
    if [ "$candidate" = "${JAVA_HOME:-}" ] && [ "$major" -ge 21 ]; then best="$candidate"; break; fi
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$candidate"; best_major=$major; fi
  done
  [ -n "$best" ] || { echo "renderloop: no JDK 21+ found (looked at \$JAVA_HOME and /usr/lib/jvm/*); install one, e.g. 'apt-get install openjdk-21-jdk-headless' where available, or set JAVA_HOME." >&2; return 1; }
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}
renderloop_pick_jdk
