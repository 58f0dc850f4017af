#!/bin/sh
# The kcloud-ovn image's entrypoint: one OVN or Open vSwitch daemon per container, in the
# foreground, logging to the console so `kubectl logs` shows it.
#
#   kcloud-ovn nb | sb         OVN northbound / southbound ovsdb-server (TLS only: 6641 / 6642)
#   kcloud-ovn northd          ovn-northd, to the two databases over their unix sockets
#   kcloud-ovn ovsdb           the host's Open vSwitch database (conf.db)
#   kcloud-ovn vswitchd        ovs-vswitchd
#   kcloud-ovn controller      ovn-controller (to the southbound database over TLS), after
#                              registering this host as a chassis
#   kcloud-ovn probe nb|sb|northd|ovsdb|vswitchd|controller   readiness check (exit 0 = ready)
#   kcloud-ovn probe nb|sb alive   liveness: the database answers (in a cluster or not)
#
# Environment (set by the chart):
#   OVN_RUNDIR, OVS_RUNDIR     sockets shared between the containers of one pod
#   OVN_DBDIR, OVS_DBDIR       database files (persistent volumes)
#   OVN_SB_DB                  the southbound database ovn-controller uses (ssl:IP:PORT)
#   OVN_CENTRAL_MEMBERS        nb, sb, northd: every OVN central member's DNS name, in order,
#                              space-separated; the databases are Raft clusters of these
#                              members (the first one creates a new cluster, the others join)
#   OVN_CENTRAL_SELF           nb, sb: this member's DNS name (one of OVN_CENTRAL_MEMBERS)
#   OVN_LEGACY_DBDIR           nb, sb: where a single standalone database of an earlier
#                              release may be; the first member makes the cluster from it
#   OVN_TLS_DIR                tls.key, tls.crt (this component's) and ca.crt (the OVN CA);
#                              nb, sb and controller refuse to start without them
#   OVN_CHASSIS                this host's chassis name (the node name)
#   OVN_ENCAP_IP               the address other chassis reach this one on (Geneve)
#   OVS_DATAPATH               system (the kernel module) or netdev (userspace)
#   OVS_NETNS_LINK             vswitchd: a symbolic link made here to /proc/<its pid>/ns/net,
#                              so that the agent makes VMs' taps where br-int is (the pod runs
#                              in the host's PID namespace, so the agent reads the same pid)
set -eu

: "${OVN_RUNDIR:=/var/run/ovn}"
: "${OVS_RUNDIR:=/var/run/openvswitch}"
: "${OVN_DBDIR:=/var/lib/ovn}"
: "${OVS_DBDIR:=/var/lib/openvswitch}"
: "${OVS_DATAPATH:=system}"
# The programs fall back to the distribution's folders unless these say otherwise.
export OVN_RUNDIR OVS_RUNDIR OVN_DBDIR OVS_DBDIR
export OVN_LOGDIR="$OVN_RUNDIR" OVS_LOGDIR="$OVS_RUNDIR"

die() {
  echo "kcloud-ovn: $*" >&2
  exit 2
}

# Creates a database from its schema, or converts one written by an older release, so an
# upgrade of the image keeps the data.
prepare_db() {
  db=$1 schema=$2
  mkdir -p "$(dirname "$db")"
  if [ ! -s "$db" ]; then
    ovsdb-tool create "$db" "$schema"
  elif [ "$(ovsdb-tool needs-conversion "$db" "$schema")" = yes ]; then
    ovsdb-tool convert "$db" "$schema"
  fi
}

# The key, certificate and CA as OVS programs take them. The databases have no plain TCP
# remote, and they and ovn-controller verify the peer's certificate against the CA.
tls_opts() {
  : "${OVN_TLS_DIR:=/etc/kcloud/ovn-tls}"
  for f in tls.key tls.crt ca.crt; do
    [ -s "$OVN_TLS_DIR/$f" ] || die "no $OVN_TLS_DIR/$f: OVN's databases are reached over TLS only"
  done
  echo "--private-key=$OVN_TLS_DIR/tls.key --certificate=$OVN_TLS_DIR/tls.crt --ca-cert=$OVN_TLS_DIR/ca.crt"
}

# Console logging at info; no log files inside the container.
log_opts="-vconsole:info -vfile:off"

# Each database's name, its clients' port and its Raft port (on which the members reach one
# another, over TLS as clients do).
db_name() {
  case "$1" in nb) echo OVN_Northbound ;; sb) echo OVN_Southbound ;; esac
}
client_port() {
  case "$1" in nb) echo 6641 ;; sb) echo 6642 ;; esac
}
raft_port() {
  case "$1" in nb) echo 6643 ;; sb) echo 6644 ;; esac
}

# Whether a member's cluster/status says it is in its cluster and knows a leader.
in_cluster() {
  echo "$1" | grep -q '^Status: cluster member$' && ! echo "$1" | grep -q '^Leader: unknown$'
}

# A member that joined its cluster again without its files is a new server at its former
# self's address, and the cluster still counts that former self, which will never answer
# again: one member fewer than it counts for its majority. Before it serves clients, the new
# server runs on its socket alone until it is in with a leader, asks for the removal of any
# other server at its own address until none is left, and stops.
forget_replaced() {
  name=$1 db=$2
  ctl="$OVN_RUNDIR/ovn${name}_db.ctl"
  dbname=$(db_name "$name")
  # shellcheck disable=SC2086
  ovsdb-server "$db" --remote="punix:$OVN_RUNDIR/ovn${name}_db.sock" $(tls_opts) \
    --pidfile="$OVN_RUNDIR/ovn${name}_db.pid" --unixctl="$ctl" $log_opts &
  pid=$!
  trap 'kill "$pid" 2>/dev/null; wait "$pid" || true; exit 143' TERM INT
  status=
  until in_cluster "$status"; do
    kill -0 "$pid" 2>/dev/null || die "the $name ovsdb-server stopped while joining its cluster"
    sleep 1
    status=$(ovs-appctl -t "$ctl" cluster/status "$dbname" 2>/dev/null) || status=
  done
  address=$(echo "$status" | sed -n 's/^Address: //p')
  gone=
  for _ in $(seq 1 60); do
    # "    <nickname> (<sid> at <address>) (self) ...", the sid's first 4 hex digits.
    former=$(echo "$status" | sed -n '/^Servers:$/,$p' | grep -F " at $address)" |
      grep -vF '(self)' | sed 's/^[^(]*(\([0-9a-f]*\) at .*/\1/') || former=
    [ -n "$former" ] || { gone=yes && break; }
    # Asked again until it is gone: a request the leader did not finish (it lost its
    # leadership) is not retried by anyone else.
    for sid in $former; do
      if ovs-appctl -t "$ctl" cluster/kick "$dbname" "$sid" >&2; then
        echo "kcloud-ovn: asked for the removal of $sid, this member's former self at $address, from the $name cluster" >&2
      fi
    done
    sleep 1
    status=$(ovs-appctl -t "$ctl" cluster/status "$dbname" 2>/dev/null) || status=
  done
  kill "$pid"
  wait "$pid" || true
  trap - TERM INT
  [ -n "$gone" ] ||
    echo "kcloud-ovn: the $name cluster still counts a former self of this member at $address after 60 tries: remove it with cluster/kick (docs/install.md)" >&2
}

# The ID of the cluster a database's other members are in, when one of them answers with
# one; nothing when none does (a new install: they are starting too, or not there yet, or
# joining, which they answer with the all-zero ID).
existing_cid() {
  name=$1
  ssl=$(tls_opts)
  for m in $OVN_CENTRAL_MEMBERS; do
    [ "$m" != "$OVN_CENTRAL_SELF" ] || continue
    # One line per database, "<cid>,<name>"; a member still joining has the all-zero cid.
    # shellcheck disable=SC2086
    cid=$(ovsdb-client $ssl --timeout=5 --format=csv --data=bare --no-headings \
      dump "ssl:$m:$(client_port "$name")" _Server Database name cid 2>/dev/null |
      grep -E "(^|,)$(db_name "$name")(,|\$)" |
      grep -oE '[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}' |
      grep -v '^00000000-0000-0000-0000-000000000000$' | head -n 1) || cid=
    if [ -n "$cid" ]; then
      echo "$cid"
      return 0
    fi
  done
}

# Makes this member's database file of a clustered database: the first member creates the
# cluster (from a standalone database an earlier release left, or empty from the schema), the
# others join it through every other member's address. An existing file is used as it is: the
# member rejoins with its identity and log, and the leader brings it up to date. A member
# without a file whose cluster is already there (its disk replaced, or its pod moved to
# another node) joins that cluster as a new server, the first member too: making a cluster
# of its own would split the cloud's network state in two. Its former self is removed from
# the cluster before it serves (forget_replaced).
prepare_member() {
  name=$1 db=$2 schema=$3
  [ -s "$db" ] && return 0
  : "${OVN_CENTRAL_MEMBERS:?OVN_CENTRAL_MEMBERS is not set}"
  : "${OVN_CENTRAL_SELF:?OVN_CENTRAL_SELF is not set}"
  raft=$(raft_port "$name")
  self="ssl:$OVN_CENTRAL_SELF:$raft"
  first=
  others=
  for m in $OVN_CENTRAL_MEMBERS; do
    [ -n "$first" ] || first=$m
    [ "$m" = "$OVN_CENTRAL_SELF" ] || others="$others ssl:$m:$raft"
  done
  case " $OVN_CENTRAL_MEMBERS " in
    *" $OVN_CENTRAL_SELF "*) ;;
    *) die "OVN_CENTRAL_SELF $OVN_CENTRAL_SELF is not one of OVN_CENTRAL_MEMBERS ($OVN_CENTRAL_MEMBERS)" ;;
  esac
  mkdir -p "$(dirname "$db")"
  cid=$(existing_cid "$name")
  if [ -n "$cid" ]; then
    echo "kcloud-ovn: joining the $name cluster $cid that the other members are in, with no database of this member's" >&2
  fi
  if [ -n "$cid" ] || [ "$OVN_CENTRAL_SELF" != "$first" ]; then
    rm -f "$db.new"
    # shellcheck disable=SC2086
    ovsdb-tool ${cid:+--cid=$cid} join-cluster "$db.new" "$(db_name "$name")" "$self" $others
    mv "$db.new" "$db"
    [ -z "$cid" ] || forget_replaced "$name" "$db"
    return 0
  fi
  legacy="${OVN_LEGACY_DBDIR:-}/ovn${name}_db.db"
  if [ -n "${OVN_LEGACY_DBDIR:-}" ] && [ -s "$legacy" ]; then
    # The old single server may still be stopping: compacting takes the database's lock, so
    # it succeeds only once that server let go of the file, and nothing it wrote is lost.
    released=
    for _ in $(seq 1 120); do
      ovsdb-tool compact "$legacy" 2>/dev/null && released=yes && break
      sleep 1
    done
    [ -n "$released" ] || die "$legacy is still held by another ovsdb-server after 120 s"
    if [ "$(ovsdb-tool needs-conversion "$legacy" "$schema")" = yes ]; then
      ovsdb-tool convert "$legacy" "$schema"
    fi
    ovsdb-tool create-cluster "$db.new" "$legacy" "$self"
    mv "$db.new" "$db"
    # Kept, renamed, so that it is never made into a cluster again.
    mv "$legacy" "$legacy.clustered"
    echo "kcloud-ovn: made the $name cluster from the standalone database $legacy" >&2
    return 0
  fi
  ovsdb-tool create-cluster "$db.new" "$schema" "$self"
  mv "$db.new" "$db"
}

central_db() {
  name=$1
  port=$(client_port "$name")
  ssl=$(tls_opts)
  db="$OVN_DBDIR/ovn${name}_db.db"
  schema="/usr/share/ovn/ovn-${name}.ovsschema"
  mkdir -p "$OVN_RUNDIR"
  if [ -n "${OVN_CENTRAL_MEMBERS:-}" ]; then
    prepare_member "$name" "$db" "$schema"
  else
    prepare_db "$db" "$schema"
  fi
  # shellcheck disable=SC2086
  exec ovsdb-server "$db" \
    --remote="punix:$OVN_RUNDIR/ovn${name}_db.sock" \
    --remote="pssl:$port" $ssl \
    --pidfile="$OVN_RUNDIR/ovn${name}_db.pid" \
    --unixctl="$OVN_RUNDIR/ovn${name}_db.ctl" \
    $log_opts
}

# A clustered database written by an older release is converted online, through the cluster,
# once a member answers as the leader; the others follow it. Any member may ask: the leader
# takes the conversion once, and a conversion already done is not needed again.
convert_cluster() {
  name=$1
  remote="unix:$OVN_RUNDIR/ovn${name}_db.sock"
  schema="/usr/share/ovn/ovn-${name}.ovsschema"
  for _ in $(seq 1 60); do
    case "$(ovsdb-client needs-conversion "$remote" "$schema" 2>/dev/null)" in
      no) return 0 ;;
      yes) ovsdb-client convert "$remote" "$schema" 2>/dev/null && return 0 ;;
    esac
    sleep 1
  done
  die "could not convert the $name cluster's database to $schema"
}

wait_for_socket() {
  for _ in $(seq 1 300); do
    [ -S "$1" ] && return 0
    sleep 0.2
  done
  die "no socket $1 after 60 s"
}

case "${1:-}" in
  nb | sb) central_db "$1" ;;
  northd)
    wait_for_socket "$OVN_RUNDIR/ovnnb_db.sock"
    wait_for_socket "$OVN_RUNDIR/ovnsb_db.sock"
    if [ -n "${OVN_CENTRAL_MEMBERS:-}" ]; then
      convert_cluster nb
      convert_cluster sb
      # Every member's database, over TLS: ovn-northd works with the cluster's leader, and
      # the instances of all members share the work through the southbound lock (one active).
      ssl=$(tls_opts)
      nb_db= sb_db=
      for m in $OVN_CENTRAL_MEMBERS; do
        nb_db="$nb_db${nb_db:+,}ssl:$m:$(client_port nb)"
        sb_db="$sb_db${sb_db:+,}ssl:$m:$(client_port sb)"
      done
    else
      ssl=
      nb_db="unix:$OVN_RUNDIR/ovnnb_db.sock"
      sb_db="unix:$OVN_RUNDIR/ovnsb_db.sock"
    fi
    # shellcheck disable=SC2086
    exec ovn-northd \
      --ovnnb-db="$nb_db" \
      --ovnsb-db="$sb_db" $ssl \
      --pidfile="$OVN_RUNDIR/ovn-northd.pid" \
      --unixctl="$OVN_RUNDIR/ovn-northd.ctl" \
      $log_opts
    ;;
  ovsdb)
    prepare_db "$OVS_DBDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    mkdir -p "$OVS_RUNDIR"
    # shellcheck disable=SC2086
    exec ovsdb-server "$OVS_DBDIR/conf.db" \
      --remote="punix:$OVS_RUNDIR/db.sock" \
      --pidfile="$OVS_RUNDIR/ovsdb-server.pid" \
      --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" \
      $log_opts
    ;;
  vswitchd)
    wait_for_socket "$OVS_RUNDIR/db.sock"
    case "$OVS_DATAPATH" in
      # Userspace only: the kernel datapath type is never registered, so hosts without the
      # openvswitch module work and no kernel datapath of another Open vSwitch is touched.
      netdev) datapath_opts=--disable-system ;;
      system) datapath_opts= ;;
      *) die "OVS_DATAPATH must be system or netdev, not $OVS_DATAPATH" ;;
    esac
    ovs-vsctl --db="unix:$OVS_RUNDIR/db.sock" --no-wait init
    if [ -n "${OVS_NETNS_LINK:-}" ]; then
      # exec keeps this shell's pid: the link names ovs-vswitchd's namespace.
      ln -sfn "/proc/$$/ns/net" "$OVS_NETNS_LINK"
    fi
    # shellcheck disable=SC2086
    exec ovs-vswitchd "unix:$OVS_RUNDIR/db.sock" $datapath_opts \
      --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" \
      --unixctl="$OVS_RUNDIR/ovs-vswitchd.ctl" \
      $log_opts
    ;;
  controller)
    : "${OVN_SB_DB:?OVN_SB_DB is not set}"
    : "${OVN_CHASSIS:?OVN_CHASSIS is not set}"
    : "${OVN_ENCAP_IP:?OVN_ENCAP_IP is not set}"
    ssl=$(tls_opts)
    wait_for_socket "$OVS_RUNDIR/db.sock"
    case "$OVS_DATAPATH" in
      netdev | system) ;;
      *) die "OVS_DATAPATH must be system or netdev, not $OVS_DATAPATH" ;;
    esac
    ovs-vsctl --db="unix:$OVS_RUNDIR/db.sock" --no-wait set open_vswitch . \
      "external_ids:system-id=$OVN_CHASSIS" \
      "external_ids:ovn-remote=$OVN_SB_DB" \
      external_ids:ovn-encap-type=geneve \
      "external_ids:ovn-encap-ip=$OVN_ENCAP_IP" \
      "external_ids:ovn-bridge-datapath-type=$OVS_DATAPATH"
    mkdir -p "$OVN_RUNDIR"
    # shellcheck disable=SC2086
    exec ovn-controller "unix:$OVS_RUNDIR/db.sock" $ssl \
      --pidfile="$OVN_RUNDIR/ovn-controller.pid" \
      $log_opts
    ;;
  probe)
    case "${2:-}" in
      nb | sb)
        ovsdb-client list-dbs "unix:$OVN_RUNDIR/ovn${2}_db.sock" >/dev/null
        # `probe nb alive`: answering is enough (liveness); a member without a leader for a
        # while is waiting for the others, and restarting it would not help.
        [ -n "${OVN_CENTRAL_MEMBERS:-}" ] && [ "${3:-}" != alive ] || exit 0
        # A member is ready once it is in the cluster and has a leader: a joining member, or
        # one cut off from the majority, answers but must not take clients.
        status=$(ovs-appctl -t "$OVN_RUNDIR/ovn${2}_db.ctl" cluster/status "$(db_name "$2")")
        echo "$status" | grep -E '^(Role|Status|Leader):'
        in_cluster "$status"
        ;;
      northd)
        status=$(ovn-appctl -t "$OVN_RUNDIR/ovn-northd.ctl" status)
        echo "$status"
        case "$status" in *active* | *standby*) exit 0 ;; *) exit 1 ;; esac
        ;;
      ovsdb) exec ovsdb-client list-dbs "unix:$OVS_RUNDIR/db.sock" ;;
      vswitchd) exec ovs-appctl -t "$OVS_RUNDIR/ovs-vswitchd.ctl" version ;;
      controller)
        # Ready once it is connected to the southbound database.
        status=$(ovn-appctl -t "$OVN_RUNDIR/ovn-controller.$(cat "$OVN_RUNDIR/ovn-controller.pid").ctl" connection-status)
        echo "$status"
        [ "$status" = connected ]
        ;;
      *) die "usage: kcloud-ovn probe nb|sb|northd|ovsdb|vswitchd|controller" ;;
    esac
    ;;
  *) die "usage: kcloud-ovn nb|sb|northd|ovsdb|vswitchd|controller|probe <component>" ;;
esac
