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
#
# Environment (set by the chart):
#   OVN_RUNDIR, OVS_RUNDIR     sockets shared between the containers of one pod
#   OVN_DBDIR, OVS_DBDIR       database files (persistent volumes)
#   OVN_SB_DB                  the southbound database ovn-controller uses (ssl:IP:PORT)
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

central_db() {
  name=$1 port=$2
  ssl=$(tls_opts)
  prepare_db "$OVN_DBDIR/ovn${name}_db.db" "/usr/share/ovn/ovn-${name}.ovsschema"
  mkdir -p "$OVN_RUNDIR"
  # shellcheck disable=SC2086
  exec ovsdb-server "$OVN_DBDIR/ovn${name}_db.db" \
    --remote="punix:$OVN_RUNDIR/ovn${name}_db.sock" \
    --remote="pssl:$port" $ssl \
    --pidfile="$OVN_RUNDIR/ovn${name}_db.pid" \
    --unixctl="$OVN_RUNDIR/ovn${name}_db.ctl" \
    $log_opts
}

wait_for_socket() {
  for _ in $(seq 1 300); do
    [ -S "$1" ] && return 0
    sleep 0.2
  done
  die "no socket $1 after 60 s"
}

case "${1:-}" in
  nb) central_db nb 6641 ;;
  sb) central_db sb 6642 ;;
  northd)
    wait_for_socket "$OVN_RUNDIR/ovnnb_db.sock"
    wait_for_socket "$OVN_RUNDIR/ovnsb_db.sock"
    # shellcheck disable=SC2086
    exec ovn-northd \
      --ovnnb-db="unix:$OVN_RUNDIR/ovnnb_db.sock" \
      --ovnsb-db="unix:$OVN_RUNDIR/ovnsb_db.sock" \
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
      nb) exec ovsdb-client list-dbs "unix:$OVN_RUNDIR/ovnnb_db.sock" ;;
      sb) exec ovsdb-client list-dbs "unix:$OVN_RUNDIR/ovnsb_db.sock" ;;
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
