# Media messages and templates with a header or a URL button: exactly one of
# body, media and template; header and button_url exactly when the template
# declares them; media URLs over https; captions within WhatsApp's limit.
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

template "plain" {
  name = "release_plain"
}

template "banner" {
  name   = "launch_banner"
  params = ["version"]
  header = "image"
  button = "url"
}

template "titled" {
  name   = "launch_titled"
  header = "text"
}

template "odd" {
  name   = "launch_odd"
  header = "audio" # ERROR: Invalid template header
  button = "phone" # ERROR: Invalid template button
}

message "notes" {
  from  = sender.ops
  to    = recipients.team
  media = { url = "https://cdn.example.com/notes.pdf", caption = "Notes <b>v2</b>" }
  ref   = "notes"
}

message "launch" {
  from       = sender.ops
  to         = recipients.team
  template   = template.banner
  params     = { version = "v2" }
  header     = { media_url = "https://cdn.example.com/v2.png" }
  button_url = "v2"
  ref        = "launch"
}

message "titled" {
  from     = sender.ops
  to       = recipients.team
  template = template.titled
  header   = { text = "Today: v2" }
  ref      = "titled"
}

message "header_not_declared" {
  from     = sender.ops
  to       = recipients.team
  template = template.plain
  header   = { media_url = "https://cdn.example.com/v2.png" } # ERROR: Unexpected header
  ref      = "header_not_declared"
}

message "header_missing" {
  from       = sender.ops
  to         = recipients.team
  template   = template.banner # ERROR: Missing header
  params     = { version = "v2" }
  button_url = "v2"
  ref        = "header_missing"
}

message "button_missing" {
  from     = sender.ops
  to       = recipients.team
  template = template.banner # ERROR: Missing button_url
  params   = { version = "v2" }
  header   = { media_url = "https://cdn.example.com/v2.png" }
  ref      = "button_missing"
}

message "button_not_declared" {
  from       = sender.ops
  to         = recipients.team
  template   = template.titled
  header     = { text = "Today" }
  button_url = "v2" # ERROR: Unexpected button_url
  ref        = "button_not_declared"
}

message "button_tag" {
  from       = sender.ops
  to         = recipients.team
  template   = template.banner
  params     = { version = "v2" }
  header     = { media_url = "https://cdn.example.com/v2.png" }
  button_url = "<a>v2</a>" # ERROR: HTML tag in button_url
  ref        = "button_tag"
}

message "wrong_header_kind" {
  from     = sender.ops
  to       = recipients.team
  template = template.titled
  header   = { media_url = "https://cdn.example.com/v2.png" } # ERROR: Unexpected attribute in header
  ref      = "wrong_header_kind"
}

message "header_http" {
  from       = sender.ops
  to         = recipients.team
  template   = template.banner
  params     = { version = "v2" }
  header     = { media_url = "http://cdn.example.com/v2.png" } # ERROR: Insecure header media URL
  button_url = "v2"
  ref        = "header_http"
}

message "media_http" {
  from  = sender.ops
  to    = recipients.team
  media = { url = "http://cdn.example.com/notes.pdf" } # ERROR: Insecure media URL
  ref   = "media_http"
}

message "media_loopback" {
  from  = sender.ops
  to    = recipients.team
  media = { url = "http://127.0.0.1:8080/notes.pdf" }
  ref   = "media_loopback"
}

message "caption_long" {
  from = sender.ops
  to   = recipients.team
  media = {
    url     = "https://cdn.example.com/notes.pdf"
    caption = format("%1025s", "x") # ERROR: Value of caption too long
  }
  ref = "caption_long"
}

message "media_and_body" {
  from  = sender.ops
  to    = recipients.team
  body  = "hello"
  media = { url = "https://cdn.example.com/notes.pdf" } # ERROR: Conflicting body and media
  ref   = "media_and_body"
}

message "media_and_template" {
  from     = sender.ops
  to       = recipients.team
  template = template.plain # ERROR: Conflicting media and template
  media    = { url = "https://cdn.example.com/notes.pdf" }
  ref      = "media_and_template"
}

message "media_no_url" {
  from  = sender.ops
  to    = recipients.team
  media = { caption = "Notes" } # ERROR: Missing media URL
  ref   = "media_no_url"
}

message "media_extra" {
  from  = sender.ops
  to    = recipients.team
  media = { url = "https://cdn.example.com/notes.pdf", kind = "pdf" } # ERROR: Unexpected attribute in media
  ref   = "media_extra"
}

message "body_header" {
  from   = sender.ops
  to     = recipients.team
  body   = "hello"
  header = { text = "x" } # ERROR: Unexpected header
  ref    = "body_header"
}
