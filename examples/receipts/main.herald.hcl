# Delivery receipts with no account: the built-in emulator plays Kaleyra,
# and for a callback_url on this machine it posts Kaleyra's status
# callbacks (sent, delivered, read) to it. Run "herald listen" in this
# folder first; it records them in the state.

provider "kaleyra" {
  sid      = "HXRECEIPTS01IN"
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
  body = "Hello from herald! Your phone's receipt comes back to herald listen."
  ref  = "receipts-hello"

  # Where Kaleyra (here, the emulator) reports what became of each message:
  # herald listen's default address. For the real Kaleyra it is your
  # https URL in front of herald listen.
  callback_url = "http://127.0.0.1:8788/kaleyra"
}
