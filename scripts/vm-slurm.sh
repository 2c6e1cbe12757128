# Sourced by scripts/vm-systemd.sh for the slurm guest: a one-node Slurm
# cluster in the systemd guest (Debian 12's Slurm 22.05: slurmctld,
# slurmd, munge), with the cgroup/v2 plugin, proctrack/cgroup and
# task/cgroup, as a site that confines jobs with cgroups runs it.  Slurm
# resolves its own host name with AI_ADDRCONFIG, which finds nothing where
# 127.0.0.1 is the only IPv4 address: the guest has its name on 127.0.1.1,
# put on a second loopback interface (lo:1) before Slurm starts.
# mcgexec-vm.service waits for the node to be idle.

host=mcgexec-vm
mkdir -p "$STAGE/etc/slurm" "$STAGE/var/spool/slurmctld" "$STAGE/var/spool/slurmd" \
    "$STAGE/var/log/slurm" "$STAGE/usr/local/sbin"
cat > "$STAGE/etc/slurm/cgroup.conf" <<'CONF'
CgroupPlugin=cgroup/v2
ConstrainRAMSpace=yes
ConstrainCores=yes
ConstrainDevices=no
CONF
cat > "$STAGE/etc/slurm/slurm.conf" <<CONF
ClusterName=mcgtest
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
JobAcctGatherType=jobacct_gather/cgroup
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
ReturnToService=2
KillWait=5
MpiDefault=none
NodeName=$host NodeAddr=127.0.1.1 CPUs=2 RealMemory=1400 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
chroot "$STAGE" chown slurm:slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chroot "$STAGE" sh -c '[ -s /etc/munge/munge.key ] || mungekey -c -k /etc/munge/munge.key
                       chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key'
cat > "$STAGE/etc/hosts" <<HOSTS
127.0.0.1 localhost
127.0.1.1 $host
HOSTS
# lo:1 without iproute2: SIOCSIFADDR through perl's ioctl
cat > "$STAGE/etc/systemd/system/mcgexec-lo1.service" <<'UNIT'
[Unit]
Description=127.0.1.1 on lo:1, the address Slurm resolves the host's name to
Before=munge.service slurmctld.service slurmd.service
DefaultDependencies=no
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/perl -MSocket -e 'socket(my $s, AF_INET, SOCK_DGRAM, 0) or die; ioctl($s, 0x8916, pack("a16 S n a4 x16", "lo:1", AF_INET, 0, inet_aton("127.0.1.1"))) or die "SIOCSIFADDR: $!\n"'
[Install]
WantedBy=multi-user.target
UNIT
cat > "$STAGE/usr/local/sbin/slurm-ready" <<'READY'
#!/bin/sh
# until the one node is idle (60 s at most), resuming it where it came up down
for i in $(seq 600); do
    state=$(sinfo -h -N -o %T 2>/dev/null)
    case $state in
        idle) exit 0 ;;
        down*|drain*) scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null ;;
    esac
    sleep 0.1
done
echo "slurm-ready: the node is '$state' after 60 s" >&2
exit 1
READY
chmod +x "$STAGE/usr/local/sbin/slurm-ready"
mkdir -p "$STAGE/etc/systemd/system/multi-user.target.wants" "$STAGE/etc/systemd/system/mcgexec-vm.service.d"
for unit in mcgexec-lo1 munge slurmctld slurmd; do
    ln -sf "/etc/systemd/system/$unit.service" "$STAGE/etc/systemd/system/multi-user.target.wants/$unit.service" 2>/dev/null
done
ln -sf /etc/systemd/system/mcgexec-lo1.service "$STAGE/etc/systemd/system/multi-user.target.wants/mcgexec-lo1.service"
for unit in munge slurmctld slurmd; do
    [ -e "$STAGE/lib/systemd/system/$unit.service" ] &&
        ln -sf "/lib/systemd/system/$unit.service" "$STAGE/etc/systemd/system/multi-user.target.wants/$unit.service"
done
cat > "$STAGE/etc/systemd/system/mcgexec-vm.service.d/slurm.conf" <<'UNIT'
[Unit]
After=slurmctld.service slurmd.service munge.service
[Service]
ExecStartPre=/usr/local/sbin/slurm-ready
Environment=MCGEXEC_VM_SLURM=1
UNIT
