# Phone numbers must be valid E.164, written exactly.
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

sender "bad" {
  number = "+1202555" # ERROR: Invalid phone number
}

recipients "bad" {
  numbers = [
    "+12025550125",
    "+1 202 555 0126", # ERROR: Invalid phone number
    "12025550127",     # ERROR: Invalid phone number
    "+99912345678",    # ERROR: Invalid phone number
  ]
}

message "m" {
  from = sender.ops
  to   = ["+12025550123", "+4412"] # ERROR: Invalid phone number
  body = "hello"
  ref  = "m"
}
