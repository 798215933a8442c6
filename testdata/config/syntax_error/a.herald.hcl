# A syntax error is reported alone: the arguments and blocks it cut short
# are not reported again as missing.
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "m" {
  from = sender.ops
  to   = [recipients.team
  body = "hi" # ERROR: Missing item separator
  ref  = "m"
}
