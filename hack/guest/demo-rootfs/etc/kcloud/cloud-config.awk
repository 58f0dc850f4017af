# Reads the part of YAML NoCloud seeds use: top-level keys whose value is a scalar (plain,
# 'single', "double" with YAML's escapes, or a | / > block) or a list of such scalars (block
# "- item" lines, or a [flow, list]). Nested mappings are skipped. Modes (awk -v):
#   mode=scalar key=K   the value of K, followed by a newline
#   mode=list   key=K   each item of K on a line of its own (a scalar counts as one item)
#   mode=runcmd key=K   a shell script: a string item as it is, a list item as its elements
#                       single-quoted and joined by spaces (cloud-init's runcmd rules)
# Exits 1 when K is not there.
function rtrim(s) { sub(/[ \t]+$/, "", s); return s }
function ltrim(s) { sub(/^[ \t]+/, "", s); return s }
function indent_of(s) { match(s, /^ */); return RLENGTH }
function hexval(h,    i, n) {
	n = 0
	h = tolower(h)
	for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return n
}
function utf8(c) {
	if (c < 128) return sprintf("%c", c)
	if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
	if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
	return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64, 128 + int(c / 64) % 64, 128 + c % 64)
}
# The text between double quotes, escapes decoded (NUL, which no shell string can hold, is dropped).
function unescape_dq(s,    out, i, c, cp, lo) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c != "\\") { out = out c; continue }
		c = substr(s, ++i, 1)
		if (c == "n") out = out "\n"
		else if (c == "t" || c == "\t") out = out "\t"
		else if (c == "r") out = out "\r"
		else if (c == "\"" || c == "\\" || c == "/" || c == " ") out = out c
		else if (c == "a") out = out "\007"
		else if (c == "b") out = out "\010"
		else if (c == "e") out = out "\033"
		else if (c == "f") out = out "\014"
		else if (c == "v") out = out "\013"
		else if (c == "N") out = out utf8(133)
		else if (c == "_") out = out utf8(160)
		else if (c == "L") out = out utf8(8232)
		else if (c == "P") out = out utf8(8233)
		else if (c == "0") { }
		else if (c == "x") { cp = hexval(substr(s, i + 1, 2)); i += 2; if (cp > 0) out = out utf8(cp) }
		else if (c == "u") {
			cp = hexval(substr(s, i + 1, 4)); i += 4
			if (cp >= 55296 && cp < 56320 && substr(s, i + 1, 2) == "\\u") {
				lo = hexval(substr(s, i + 3, 4)); i += 6
				cp = 65536 + (cp - 55296) * 1024 + (lo - 56320)
			}
			if (cp > 0) out = out utf8(cp)
		}
		else if (c == "U") { cp = hexval(substr(s, i + 1, 8)); i += 8; if (cp > 0) out = out utf8(cp) }
		else out = out "\\" c
	}
	return out
}
# Where the double-quoted scalar starting at s's first character ends (the closing quote), 0 if not on this line.
function dq_end(s,    i, c) {
	for (i = 2; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\") i++
		else if (c == "\"") return i
	}
	return 0
}
function sq_end(s,    i) {
	for (i = 2; i <= length(s); i++) {
		if (substr(s, i, 1) != "'") continue
		if (substr(s, i + 1, 1) == "'") { i++; continue }
		return i
	}
	return 0
}
# A flow or line scalar: sets SCALAR_END (where it ended in s) and returns its value. A quoted
# scalar that goes on over the next lines is joined with spaces (YAML's folding), consuming them.
function scalar(s, stop,    e, v) {
	s = ltrim(s)
	if (substr(s, 1, 1) == "\"") {
		while ((e = dq_end(s)) == 0 && cur < n) s = s " " ltrim(L[++cur])
		if (e == 0) e = length(s) + 1
		SCALAR_END = e
		return unescape_dq(substr(s, 2, e - 2))
	}
	if (substr(s, 1, 1) == "'") {
		while ((e = sq_end(s)) == 0 && cur < n) s = s " " ltrim(L[++cur])
		if (e == 0) e = length(s) + 1
		SCALAR_END = e
		v = substr(s, 2, e - 2)
		gsub(/''/, "'", v)
		return v
	}
	# Plain: up to a comment, or (in a flow list) a comma or the closing bracket.
	v = s
	if (stop != "") {
		match(v, stop)
		if (RSTART > 0) v = substr(v, 1, RSTART - 1)
	}
	sub(/[ \t]#.*$/, "", v)
	SCALAR_END = length(v)
	return rtrim(v)
}
# The items of a [flow, list] starting at s; the count is returned, items are in FLOW[1..].
function flow(s,    k, v) {
	k = 0
	s = substr(ltrim(s), 2)
	while ((s = ltrim(s)) != "" && substr(s, 1, 1) != "]") {
		if (substr(s, 1, 1) == ",") { s = substr(s, 2); continue }
		v = scalar(s, "[],]")
		FLOW[++k] = v
		s = substr(ltrim(s), SCALAR_END + 1)
		if (s == "" && cur < n) s = L[++cur]
	}
	return k
}
# A | or > block whose lines are indented more than `parent`; consumes them.
function block(indicator, parent,    lines, k, ind, out, i, folded) {
	k = 0
	ind = -1
	while (cur < n) {
		if (L[cur + 1] ~ /^[ \t]*$/) { lines[++k] = ""; cur++; continue }
		if (indent_of(L[cur + 1]) <= parent) break
		cur++
		if (ind < 0) ind = indent_of(L[cur])
		lines[++k] = substr(L[cur], ind + 1)
	}
	while (k > 0 && lines[k] == "") k--
	folded = substr(indicator, 1, 1) == ">"
	out = ""
	for (i = 1; i <= k; i++) {
		if (i == 1) out = lines[i]
		else if (folded && lines[i] != "" && lines[i - 1] != "") out = out " " lines[i]
		else out = out "\n" lines[i]
	}
	return out
}
function shquote(s) { gsub(/'/, "'\\''", s); return "'" s "'" }
function emit(v) { print v }
function emit_list(k,    i, line) {
	if (mode == "runcmd") {
		line = ""
		for (i = 1; i <= k; i++) line = line (i > 1 ? " " : "") shquote(FLOW[i])
		print line
	} else {
		for (i = 1; i <= k; i++) print FLOW[i]
	}
}
# One value: the text after "key:" or "- ", at `parent` indentation.
function value(rest, parent,    t) {
	t = rest
	sub(/^[ \t]+/, "", t)
	if (t ~ /^[|>][-+0-9]*[ \t]*(#.*)?$/) { emit(block(t, parent)); return }
	if (substr(t, 1, 1) == "[") { emit_list(flow(t)); return }
	# A {flow: mapping} is not a scalar: nothing this reader knows.
	if (substr(t, 1, 1) == "{") return
	emit(scalar(t, ""))
}
{ sub(/\r$/, ""); L[++n] = $0 }
END {
	found = 0
	for (cur = 1; cur <= n; cur++) {
		line = L[cur]
		if (line !~ /^[A-Za-z0-9_.-]+[ \t]*:([ \t]|$)/) continue
		k = line
		sub(/[ \t]*:.*$/, "", k)
		if (k != key) continue
		found = 1
		rest = line
		sub(/^[^:]*:/, "", rest)
		if (rest !~ /^[ \t]*(#.*)?$/) { value(rest, 0); break }
		# The value is on the lines below: a list of items (at any indentation, even 0).
		while (cur < n) {
			nxt = L[cur + 1]
			if (nxt ~ /^[ \t]*(#.*)?$/) { cur++; continue }
			if (nxt !~ /^ *-([ \t]|$)/) break
			cur++
			d = indent_of(nxt)
			item = substr(nxt, d + 2)
			if (item ~ /^[ \t]*(#.*)?$/) continue
			value(item, d)
		}
		break
	}
	exit found ? 0 : 1
}
