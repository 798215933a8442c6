# Two deliveries with one key: the second would never be sent.
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

recipients "team" {
  numbers = ["+12025550123", "+12025550124"]
}

message "first" {
  from = sender.ops
  to   = recipients.team
  body = "hello"
  ref  = "same"
}

message "second" {
  from = sender.ops
  to   = ["+12025550124"]
  body = "hello again"
  ref  = "same" # ERROR: Duplicate delivery key
}

message "other_ref1" {
  from = sender.ops
  to   = recipients.team
  body = "hello"
  ref  = "same"
  ref1 = "differs"
}

message "waves" {
  for_each = toset(["a", "b"])
  from     = sender.ops
  to       = recipients.team
  body     = "wave ${each.key}"
  ref      = "wave" # ERROR: Duplicate delivery key
}
