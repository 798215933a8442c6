# depends_on names messages, without loops.
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

message "a" {
  from       = sender.ops
  to         = recipients.team
  body       = "a"
  ref        = "a"
  depends_on = [message.b] # ERROR: Cycle in depends_on
}

message "b" {
  from       = sender.ops
  to         = recipients.team
  body       = "b"
  ref        = "b"
  depends_on = [message.a]
}

message "c" {
  from       = sender.ops
  to         = recipients.team
  body       = "c"
  ref        = "c"
  depends_on = [message.aa] # ERROR: Reference to undeclared message
}

message "d" {
  from       = sender.ops
  to         = recipients.team
  body       = "d"
  ref        = "d"
  depends_on = [sender.ops] # ERROR: Invalid depends_on reference
}

message "e" {
  from       = sender.ops
  to         = recipients.team
  body       = "e"
  ref        = "e"
  depends_on = ["message.a"] # ERROR: Invalid depends_on reference
}
