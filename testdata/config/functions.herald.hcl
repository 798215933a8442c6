# env() without a default needs its variable set; file() needs its file.
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

message "env" {
  from = sender.ops
  to   = recipients.team
  body = env("HERALD_TEST_UNSET") # ERROR: Environment variable not set
  ref  = "env"
}

message "env_default" {
  from = sender.ops
  to   = recipients.team
  body = env("HERALD_TEST_UNSET", "fallback")
  ref  = env("HERALD_TEST_SET")
}

message "file" {
  from = sender.ops
  to   = recipients.team
  body = file("no-such-file.txt") # ERROR: Invalid function argument
  ref  = "file"
}

message "try" {
  from = sender.ops
  to   = recipients.team
  body = try(file("no-such-file.txt"), "fallback")
  ref  = can(regex("^x", "xyz")) ? "try" : "no"
}
