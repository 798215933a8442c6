package kaleyra

import "github.com/heraldhq/herald/internal/kaleyra/rules"

// Settings is one evaluated provider "kaleyra" block. The type is
// rules.Settings, which the configuration's evaluator produces without
// importing this package; the alias lets callers of the client name it
// with the client.
type Settings = rules.Settings
