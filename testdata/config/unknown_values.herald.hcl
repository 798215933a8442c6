# A value that failed to evaluate is unknown, and the checks that need it
# are skipped: one mistake, one error. Here a wrong each attribute leaves
# every instance's ref unknown, which must not read as two instances with
# the same (empty) ref.
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "done" {
  for_each = toset(["wave-1", "wave-2", "wave-3"])
  from     = sender.ops
  to       = ["+12025550123", "+12025550124"]
  body     = "Rollout ${each.key} complete"
  ref      = "done-${each.kye}" # ERROR: Invalid reference
}

locals {
  tag = upper(local.nosuch) # ERROR: Reference to undeclared local value
}

message "tagged" {
  for_each = toset(["a", "b"])
  from     = sender.ops
  to       = ["+12025550123"]
  body     = "Tagged"
  ref      = "tagged"
  ref1     = local.tag
}
