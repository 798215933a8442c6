package statemgr_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

func TestFilesystemConformance(t *testing.T) {
	var mu sync.Mutex
	dirs := map[*testing.T]string{}
	statemgrtest.Run(t, func(t *testing.T) statemgr.Backend {
		mu.Lock()
		defer mu.Unlock()
		dir, ok := dirs[t]
		if !ok {
			dir = t.TempDir()
			dirs[t] = dir
		}
		return statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), hclog.NewNullLogger())
	})
}
