package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiles writes a CPU profile of the whole run to the file named by
// HERALD_CPU_PROFILE and a heap profile at its end to HERALD_MEM_PROFILE,
// for `go tool pprof`, and an execution trace to HERALD_TRACE, for `go
// tool trace`: a slow plan over a large state, or an apply that sends
// slower than the wire allows, is best understood from the real command on
// the real files. The returned function ends them.
func startProfiles() (stop func()) {
	var stops []func()
	if path := os.Getenv("HERALD_CPU_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "herald: HERALD_CPU_PROFILE: %v\n", err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("HERALD_TRACE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "herald: HERALD_TRACE: %v\n", err)
		} else {
			stops = append(stops, func() { trace.Stop(); f.Close() })
		}
	}
	if path := os.Getenv("HERALD_MEM_PROFILE"); path != "" {
		// One sample per 4 KiB allocated: finer than the default, so that
		// the many small allocations of a large state show.
		runtime.MemProfileRate = 1 << 12
		stops = append(stops, func() {
			// The profile counts what the last collection saw.
			runtime.GC()
			f, err := os.Create(path)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "herald: HERALD_MEM_PROFILE: %v\n", err)
			}
		})
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
