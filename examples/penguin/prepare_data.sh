#!/usr/bin/env bash
# The Palmer penguins, as TFX's penguin pipeline ingests them.
#
#   examples/penguin/prepare_data.sh DEST [CACHE_DIR]
#
# Takes the real data set (344 penguins, Gorman, Williams & Fraser 2014) out of
# Debian's r-cran-palmerpenguins package — `apt-get download` + `dpkg-deb -x`
# into CACHE_DIR (default: ~/.cache/edgepipe/palmerpenguins; R is not installed) — and writes
# DEST/penguins.csv, the one file the pipeline's CsvExampleGen reads:
#
#   species,island,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,sex,year
#   0,Torgersen,39.1,18.7,181,3750,male,2007
#
# The same rows and columns as the package's extdata/penguins.csv, with TFX's
# names (bill_* -> culmen_*, as TFX's penguins_processed.csv) and the label
# `species` as TFX's integer class: Adelie 0, Chinstrap 1, Gentoo 2. Nothing
# is scaled (the pipeline's Transform does that) and no row is dropped: R's
# "NA" becomes an empty cell, which CsvExampleGen turns into a feature with
# no value (TFX's behaviour) and StatisticsGen counts. The package has 2
# penguins without any measurement and 11 without `sex`.
#
# Idempotent: does nothing if DEST/penguins.csv is already there.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DEST [CACHE_DIR]" >&2
  exit 2
fi
dest=$1
cache=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/edgepipe/palmerpenguins}
out=$dest/penguins.csv
[ -f "$out" ] && exit 0
mkdir -p "$dest" "$cache"
csv=$cache/root/usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv
if [ ! -f "$csv" ]; then
  # apt-get download writes into the current folder; the _apt user may not be
  # able to write there, which apt reports as a warning and works around.
  # A machine whose package lists were never fetched (a container image)
  # knows no package yet: fetch the lists once and try again.
  if ! (cd "$cache" && apt-get download r-cran-palmerpenguins >&2); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2 || true
    (cd "$cache" && apt-get download r-cran-palmerpenguins >&2) ||
      { echo "error: apt-get download r-cran-palmerpenguins failed (network?)" >&2; exit 1; }
  fi
  deb=$(ls -t "$cache"/r-cran-palmerpenguins_*.deb | head -1)
  dpkg-deb -x "$deb" "$cache/root"
fi
[ -f "$csv" ] || { echo "error: $csv: not in the package" >&2; exit 1; }
awk -F, -v OFS=, '
  NR == 1 {
    want = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year"
    if ($0 != want) { print "error: unexpected header: " $0 > "/dev/stderr"; exit 1 }
    print "species,island,culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,sex,year"
    next
  }
  {
    if ($1 == "Adelie") $1 = 0
    else if ($1 == "Chinstrap") $1 = 1
    else if ($1 == "Gentoo") $1 = 2
    else { print "error: line " NR ": unknown species " $1 > "/dev/stderr"; exit 1 }
    for (i = 2; i <= NF; ++i) if ($i == "NA") { $i = ""; ++missing[i] }
    if (NF != 8) { print "error: line " NR ": " NF " fields" > "/dev/stderr"; exit 1 }
    ++rows
    print
  }
  END { printf "%d penguins; missing: %d culmen_length_mm, %d sex\n", rows, missing[3], missing[7] > "/dev/stderr" }
' "$csv" >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out" >&2
