# The smallest useful configuration: one account, one sender, a few
# recipients and one text message. emulator = true runs Kaleyra's API
# inside herald, so apply works with no account and sends nothing real.

provider "kaleyra" {
  sid      = "HXQUICKSTART01IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

recipients "team" {
  numbers = [
    "+12025550123",
    "+12025550124",
    "+12025550125",
  ]
}

message "hello" {
  from = sender.ops
  to   = recipients.team
  body = "Hello from herald! This message is sent once, however often you apply."
  ref  = "quickstart-hello"
}
