# A number may appear once in a recipients block and once per message.
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

recipients "twice" {
  numbers = [
    "+12025550125",
    "+12025550125", # ERROR: Duplicate recipient
  ]
}

message "m" {
  from = sender.ops
  to = [
    recipients.team,
    "+12025550123", # ERROR: Duplicate recipient
  ]
  body = "hello"
  ref  = "m"
}

recipients "overlap" {
  numbers = ["+12025550124", "+12025550126"]
}

message "two_lists" {
  from = sender.ops
  to = [
    recipients.team,
    recipients.overlap, # ERROR: Duplicate recipient
  ]
  body = "hello"
  ref  = "two_lists"
}
