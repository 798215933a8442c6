# A reference to the wrong kind of block says what it got.
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

recipients "team" {
  numbers = ["+12025550123"]
}

template "t" {
  name = "tmpl"
}

message "m" {
  from = recipients.team # ERROR: Invalid from
  to   = sender.ops      # ERROR: Invalid recipient
  body = "hi"
  ref  = "m"
}

message "n" {
  from     = "sender.ops" # ERROR: Invalid from
  to       = [template.t] # ERROR: Invalid recipient
  template = template.t
  ref      = "n"
}
