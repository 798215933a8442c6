# A message has exactly one of body, media and template, and the template's params.
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

template "notice" {
  name     = "release_announcement"
  language = "en"
  params   = ["version", "eta"]
}

message "both" {
  from     = sender.ops
  to       = recipients.team
  body     = "hello"
  template = template.notice # ERROR: Conflicting body and template
  params   = { version = "v1", eta = "now" }
  ref      = "both"
}

message "neither" { # ERROR: Missing body, media or template
  from = sender.ops
  to   = recipients.team
  ref  = "neither"
}

message "text_params" {
  from   = sender.ops
  to     = recipients.team
  body   = "hello"
  params = { version = "v1" } # ERROR: Unexpected params
  ref    = "text_params"
}

message "wrong_params" {
  from     = sender.ops
  to       = recipients.team
  template = template.notice
  params   = { version = "v1", etaa = "now" } # ERROR: Wrong template parameters
  ref      = "wrong_params"
}

message "no_params" {
  from     = sender.ops
  to       = recipients.team
  template = template.notice # ERROR: Wrong template parameters
  ref      = "no_params"
}

message "no_ref" { # ERROR: Missing required argument
  from = sender.ops
  to   = recipients.team
  body = "hello"
}

message "from_string" {
  from = "+12025550100" # ERROR: Invalid from
  to   = recipients.team
  body = "hello"
  ref  = "from_string"
}

message "to_number" {
  from = sender.ops
  to   = [12025550123] # ERROR: Invalid recipient
  body = "hello"
  ref  = "to_number"
}

message "to_empty" {
  from = sender.ops
  to   = [] # ERROR: No recipients
  body = "hello"
  ref  = "to_empty"
}
