recipients "team" {
  numbers = ["+12025550123"]
}

message "n" {
  from = sender.ops
  to   = recipients.team
  ref  = "n"
}
