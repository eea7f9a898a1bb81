#!/usr/bin/env bash
# Entry point of the SLURM container (test_containers_slurm.py): one controller and one compute
# node in this container, on host networking. Writes slurm.conf for this host's name (with
# host networking the container shares the host's hostname, and docker refuses --hostname),
# with the ports from SLURMCTLD_PORT / SLURMD_PORT (free ports picked by the test), starts
# munged, slurmctld and slurmd, waits until the node is idle, then keeps running.
set -euo pipefail
NODE="$(hostname -s)"
: "${SLURMCTLD_PORT:?}" "${SLURMD_PORT:?}"
CPUS="${SLURM_NODE_CPUS:-4}"
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=seamlessit
SlurmctldHost=${NODE}(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT}
SlurmdPort=${SLURMD_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
# no cgroups: the container cannot manage them (cgroup v1, not privileged)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# trust the CPUs/RealMemory below rather than what slurmd measures (a 2-core host)
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=600
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
runuser -u munge -- munged
slurmctld
slurmd -N "${NODE}"
for _ in $(seq 1 120); do
    if sinfo -h -o '%t' 2> /dev/null | grep -q idle; then
        echo "SLURM READY node=${NODE}"
        exec sleep infinity
    fi
    sleep 0.5
done
echo "SLURM did not come up" >&2
tail -30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
