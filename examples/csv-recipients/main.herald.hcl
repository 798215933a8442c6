# Recipients kept in a CSV file (exported from a directory or a
# spreadsheet), read with csvdecode(file(...)) and filtered with for
# expressions.

locals {
  people = csvdecode(file("recipients.csv"))
  teams  = distinct([for p in local.people : p.team])
}

provider "kaleyra" {
  sid      = "HXCSV00001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

recipients "everyone" {
  numbers = [for p in local.people : p.phone]
}

recipients "platform" {
  numbers = [for p in local.people : p.phone if p.team == "platform"]
}

message "maintenance" {
  from = sender.ops
  to   = recipients.everyone
  body = "Planned maintenance on Saturday 02:00-04:00 UTC. ${length(local.teams)} teams are affected."
  ref  = "maintenance-2026-11-28"
}

message "platform_oncall" {
  from = sender.ops
  to   = recipients.platform
  body = "Platform on-call: please be reachable during the maintenance window."
  ref  = "maintenance-2026-11-28"
  ref1 = "platform"
}
