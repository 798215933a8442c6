# Block names are unique per kind; unknown blocks and arguments are errors.
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

herald {
  state_path = "a.state"
}

herald { # ERROR: Duplicate herald block
  state_path = "b.state"
}

sender "ops" { # ERROR: Duplicate sender block
  number = "+12025550101"
}

recipent "x" { # ERROR: Unsupported block type
}

message "m" {
  from    = sender.ops
  to      = recipients.team
  body    = "hello"
  ref     = "m"
  subject = "x" # ERROR: Unsupported argument
}
