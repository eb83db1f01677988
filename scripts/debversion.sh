#!/usr/bin/env bash
# debversion.sh DESCRIBE prints the Debian upstream version for the output of
# `git describe --tags --always --dirty`:
#   v1.4.0                 -> 1.4.0
#   v1.4.0-rc1             -> 1.4.0~rc1   (sorts before 1.4.0)
#   v1.4.0-12-gcedcb3e     -> 1.4.0+git12.cedcb3e
#   cedcb3e (no tag)       -> 0~git.cedcb3e
# and a -dirty suffix becomes +dirty. Release tags begin with v and a digit: anything else that
# is hexadecimal is a commit (an untagged one may be all digits, 1234567).
set -euo pipefail
d=${1:?usage: debversion.sh DESCRIBE}
suffix=""
if [[ $d == *-dirty ]]; then d=${d%-dirty}; suffix="+dirty"; fi
if [[ $d =~ ^v([0-9][0-9A-Za-z.]*)(-([0-9A-Za-z.]+))?-([0-9]+)-g([0-9a-f]+)$ ]]; then
  v=${BASH_REMATCH[1]}; [ -n "${BASH_REMATCH[3]}" ] && v+="~${BASH_REMATCH[3]}"
  v+="+git${BASH_REMATCH[4]}.${BASH_REMATCH[5]}"
elif [[ $d =~ ^v([0-9][0-9A-Za-z.]*)(-([0-9A-Za-z.]+))?$ ]]; then
  v=${BASH_REMATCH[1]}; [ -n "${BASH_REMATCH[3]}" ] && v+="~${BASH_REMATCH[3]}"
elif [[ $d =~ ^[0-9a-f]{4,}$ ]]; then
  v="0~git.$d"
else
  echo "debversion.sh: cannot make a Debian version of $1" >&2; exit 1
fi
if [[ $v == *+* && -n $suffix ]]; then suffix=".dirty"; fi
echo "$v$suffix"
