# ref fields, bodies, HTML tags and callback URLs.
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

template "t" {
  name   = "<b>notice</b>" # ERROR: HTML tag in template name
  params = ["who"]
}

template "ok" {
  name   = "notice"
  params = ["who"]
}

message "long_ref" {
  from = sender.ops
  to   = recipients.team
  body = "<b>bold bodies are fine</b>"
  ref  = "${join("", [for i in range(300) : "x"])}" # ERROR: Value of ref too long
}

message "html_ref1" {
  from = sender.ops
  to   = recipients.team
  body = "hello"
  ref  = "html_ref1"
  ref1 = "<script src=x>" # ERROR: HTML tag in ref1
}

message "html_param" {
  from     = sender.ops
  to       = recipients.team
  template = template.ok
  params   = { who = "</i>" } # ERROR: HTML tag in parameter who
  ref      = "html_param"
}

message "http_callback" {
  from         = sender.ops
  to           = recipients.team
  body         = "hello"
  ref          = "http_callback"
  callback_url = "http://hooks.example.com/kaleyra" # ERROR: Insecure callback_url
}

message "loopback_callback" {
  from         = sender.ops
  to           = recipients.team
  body         = "hello"
  ref          = "loopback_callback"
  callback_url = "http://127.0.0.1:9000/hook"
}

message "localhost_callback" {
  from         = sender.ops
  to           = recipients.team
  body         = "hello"
  ref          = "localhost_callback"
  callback_url = "http://localhost/hook"
}

message "bad_callback" {
  from         = sender.ops
  to           = recipients.team
  body         = "hello"
  ref          = "bad_callback"
  callback_url = "hooks.example.com" # ERROR: Invalid callback_url
}

message "empty_ref" {
  from = sender.ops
  to   = recipients.team
  body = "hello"
  ref  = "" # ERROR: Empty ref
}

variable "token" {
  default   = "t0k3n"
  sensitive = true
}

message "sensitive_ref" {
  from = sender.ops
  to   = recipients.team
  body = "hello"
  ref  = "ref-${var.token}" # WARNING: Sensitive value in ref
}

message "sensitive_ref_each" {
  for_each = toset(["a", "b", "c"])
  from     = sender.ops
  to       = recipients.team
  body     = "hello"
  ref      = "ref-${each.key}"
  ref1     = var.token # WARNING: Sensitive value in ref1
}

message "tag_with_colon" {
  from = sender.ops
  to   = recipients.team
  body = "hello"
  ref  = "rel<x:y>" # ERROR: HTML tag in ref
}

message "empty_body" {
  from = sender.ops
  to   = recipients.team
  body = "" # ERROR: Empty body
  ref  = "empty_body"
}

message "long_body" {
  from = sender.ops
  to   = recipients.team
  body = join("", [for i in range(1000) : "xxxxx"]) # ERROR: Value of body too long
  ref  = "long_body"
}

message "longest_body" {
  from = sender.ops
  to   = recipients.team
  body = join("", [for i in range(1024) : "éééé"])
  ref  = "longest_body"
}

template "unnamed" {
  name   = "" # ERROR: Empty template name
  params = []
}
