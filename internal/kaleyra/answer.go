package kaleyra

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Answer is the body of Kaleyra's success answer, as its documentation
// shows it. The emulator writes the same shape.
type Answer struct {
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Body            string          `json:"body"`
	CreatedDateTime string          `json:"createdDateTime"`
	TotalCount      int             `json:"totalCount"`
	Data            []AnswerMessage `json:"data"`
	Error           json.RawMessage `json:"error"`
}

// AnswerMessage is one recipient of an Answer.
type AnswerMessage struct {
	MessageID string `json:"message_id"`
	// Recipient is the number's digits, without "+".
	Recipient string `json:"recipient"`
}

// ErrorAnswer is the body of a non-2xx answer. Kaleyra puts the code in
// "code" or in "error.code", and the text in "message", "error.message" or
// "error.error"; herald reads all of them, and the emulator writes the code
// and text in both places.
type ErrorAnswer struct {
	TopCode    string       `json:"code,omitempty"`
	TopMessage string       `json:"message,omitempty"`
	Error      *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail is the "error" object of an ErrorAnswer.
type ErrorDetail struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// parseError reads an error answer leniently: a body that is not JSON, or
// not shaped as expected, yields empty code and text rather than an error,
// because the status alone already decides the outcome. A code that is not
// a string (some gateways send numbers) is kept as written.
func parseError(body []byte) (code, text string) {
	var loose struct {
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &loose) != nil {
		return "", ""
	}
	var detail struct {
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	var errText string
	if len(loose.Error) > 0 && json.Unmarshal(loose.Error, &detail) != nil {
		// "error" may itself be a plain string.
		errText = scalar(loose.Error)
	}
	code = firstNonEmpty(scalar(loose.Code), scalar(detail.Code))
	text = firstNonEmpty(scalar(loose.Message), scalar(detail.Message), scalar(detail.Error), errText)
	return code, text
}

// scalar renders a JSON string or number as text, and anything else as "".
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// parseAnswer reads a 2xx body. Any doubt is an error, which makes every
// recipient Unknown: a 2xx means Kaleyra may well have sent the message.
func parseAnswer(body []byte) (Answer, error) {
	a, ok := readAnswer(body)
	if !ok {
		a = Answer{}
		if err := json.Unmarshal(body, &a); err != nil {
			return Answer{}, fmt.Errorf("reading Kaleyra's answer: %w", err)
		}
	}
	if a.ID == "" && len(a.Data) == 0 {
		return Answer{}, fmt.Errorf("Kaleyra's answer has neither an id nor data")
	}
	return a, nil
}

// digits is a number as Kaleyra writes it in answers: without "+".
func digits(e164 string) string { return strings.TrimPrefix(e164, "+") }
