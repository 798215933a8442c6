package statefile

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU adds the process's CPU time per operation to a benchmark's
// figures: on a shared machine, wall time measures the neighbours too.
// start is cpuTime() before the loop.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
