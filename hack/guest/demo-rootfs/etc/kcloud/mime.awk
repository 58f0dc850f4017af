# Splits a MIME multipart user-data (cloud-init's way of giving several parts) into files
# dir/01, dir/02, ... and prints "<file> <content-type> <transfer-encoding>" for each part.
function header_value(h) { sub(/^[^:]*:[ \t]*/, "", h); return h }
function param(h, name,    v) {
	if (!match(tolower(h), name "=")) return ""
	v = substr(h, RSTART + RLENGTH)
	if (substr(v, 1, 1) == "\"") { v = substr(v, 2); sub(/".*$/, "", v) }
	else sub(/[; \t].*$/, "", v)
	return v
}
function finish() {
	if (file != "") { close(file); print file, (type == "" ? "text/plain" : type), (enc == "" ? "7bit" : enc) }
	file = ""
}
BEGIN { state = "head"; parts = 0 }
{ sub(/\r$/, "") }
# Folded header lines continue the one before.
state ~ /head/ && /^[ \t]/ && last != "" { hdr[last] = hdr[last] " " ltrim_($0); next }
state == "head" {
	if ($0 == "") { boundary = param(hdr["content-type"], "boundary"); state = "preamble"; next }
	last = tolower($0); sub(/:.*$/, "", last); hdr[last] = header_value($0); next
}
boundary != "" && $0 == "--" boundary "--" { finish(); state = "epilogue"; next }
boundary != "" && $0 == "--" boundary {
	finish()
	state = "parthead"; type = ""; enc = ""; last = ""; delete hdr
	next
}
state == "parthead" {
	if ($0 == "") {
		file = sprintf("%s/%02d", dir, ++parts)
		printf "" >file
		first = 1
		state = "body"
		next
	}
	last = tolower($0); sub(/:.*$/, "", last); hdr[last] = header_value($0)
	if (last == "content-type") { type = tolower(hdr[last]); sub(/[; \t].*$/, "", type) }
	if (last == "content-transfer-encoding") enc = tolower(hdr[last])
	next
}
state == "body" { printf "%s%s", (first ? "" : "\n"), $0 >>file; first = 0 }
END { finish() }
function ltrim_(s) { sub(/^[ \t]+/, "", s); return s }
