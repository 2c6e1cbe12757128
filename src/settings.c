#include "settings.h"

#include <string.h>

const char *const mcg_class_names[MCG_NCTRL] = {
    [MCG_CPU] = "CPU", [MCG_CPUACCT] = "CPUACCT", [MCG_CPUSET] = "CPUSET",
    [MCG_BLKIO] = "BLKIO", [MCG_MEMORY] = "MEMORY", [MCG_PIDS] = "PIDS",
};

/* The methods and meanings are those of mruby-cgroup, so its scripts run
 * unchanged; the files are the kernel's cgroup v1 names. */
const struct mcg_setting mcg_settings[] = {
    { MCG_CPU, "cfs_quota_us", "cpu.cfs_quota_us", MCG_K_QUOTA, MCG_RW,
      "microseconds per period, -1 for no limit" },
    { MCG_CPU, "cfs_period_us", "cpu.cfs_period_us", MCG_K_INT, MCG_RW, "microseconds" },
    { MCG_CPU, "rt_period_us", "cpu.rt_period_us", MCG_K_INT, MCG_RW, "microseconds" },
    { MCG_CPU, "rt_runtime_us", "cpu.rt_runtime_us", MCG_K_INT, MCG_RW, "microseconds" },
    { MCG_CPU, "shares", "cpu.shares", MCG_K_INT, MCG_RW, "relative weight (2..262144)" },
    { MCG_CPU, "stat", "cpu.stat", MCG_K_TEXT, MCG_READ, "text" },

    { MCG_CPUACCT, "usage", "cpuacct.usage", MCG_K_INT, MCG_RW,
      "nanoseconds (write 0 to reset)" },
    { MCG_CPUACCT, "stat", "cpuacct.stat", MCG_K_TEXT, MCG_READ, "text (USER_HZ ticks)" },
    { MCG_CPUACCT, "usage_percpu", "cpuacct.usage_percpu", MCG_K_TEXT, MCG_READ,
      "nanoseconds per CPU, space-separated" },

    { MCG_CPUSET, "cpus", "cpuset.cpus", MCG_K_CPULIST, MCG_RW, "CPU list (\"0-3,5\")" },
    { MCG_CPUSET, "mems", "cpuset.mems", MCG_K_CPULIST, MCG_RW, "memory-node list" },

    { MCG_BLKIO, "throttle_read_bps_device", "blkio.throttle.read_bps_device", MCG_K_DEVBPS,
      MCG_RW, "\"DEVICE bytes/s\"" },
    { MCG_BLKIO, "throttle_write_bps_device", "blkio.throttle.write_bps_device", MCG_K_DEVBPS,
      MCG_RW, "\"DEVICE bytes/s\"" },
    { MCG_BLKIO, "throttle_read_iops_device", "blkio.throttle.read_iops_device", MCG_K_DEVRATE,
      MCG_RW, "\"DEVICE operations/s\"" },
    { MCG_BLKIO, "throttle_write_iops_device", "blkio.throttle.write_iops_device", MCG_K_DEVRATE,
      MCG_RW, "\"DEVICE operations/s\"" },

    { MCG_MEMORY, "limit_in_bytes", "memory.limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size, -1 for no limit" },
    { MCG_MEMORY, "usage_in_bytes", "memory.usage_in_bytes", MCG_K_INT, MCG_READ, "bytes" },
    { MCG_MEMORY, "max_usage_in_bytes", "memory.max_usage_in_bytes", MCG_K_INT, MCG_READ,
      "bytes" },
    { MCG_MEMORY, "memsw_limit_in_bytes", "memory.memsw.limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size of memory plus swap, -1 for no limit" },
    { MCG_MEMORY, "memsw_usage_in_bytes", "memory.memsw.usage_in_bytes", MCG_K_INT, MCG_READ,
      "bytes" },
    { MCG_MEMORY, "memsw_max_usage_in_bytes", "memory.memsw.max_usage_in_bytes", MCG_K_INT,
      MCG_READ, "bytes" },
    { MCG_MEMORY, "oom_control", "memory.oom_control", MCG_K_BOOL, MCG_RW,
      "true disables the OOM killer" },
    { MCG_MEMORY, "cgroup_event_control", "cgroup.event_control", MCG_K_TEXT, MCG_WRITE,
      "\"EVENTFD FD [ARGS]\"" },

    { MCG_PIDS, "max", "pids.max", MCG_K_COUNT, MCG_RW, "processes, -1 for no limit" },
    { MCG_PIDS, "current", "pids.current", MCG_K_INT, MCG_READ, "processes" },
};

const size_t mcg_nsettings = sizeof(mcg_settings) / sizeof(mcg_settings[0]);

const struct mcg_setting *mcg_setting_find(enum mcg_ctrl ctrl, const char *method)
{
    for (size_t i = 0; i < mcg_nsettings; i++)
        if (mcg_settings[i].ctrl == ctrl && strcmp(mcg_settings[i].method, method) == 0)
            return &mcg_settings[i];
    return NULL;
}

const struct mcg_setting *mcg_setting_by_file(enum mcg_ctrl ctrl, const char *file)
{
    for (size_t i = 0; i < mcg_nsettings; i++)
        if (mcg_settings[i].ctrl == ctrl && strcmp(mcg_settings[i].file, file) == 0)
            return &mcg_settings[i];
    return NULL;
}
