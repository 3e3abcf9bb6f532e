// csv_example_gen_bench: CSV reading and CsvExampleGen against the disk's
// own sequential read speed, measured in the same run on the same file.
//
//   csv_example_gen_bench [--size-mb N] [--dir DIR] [--keep]
//
// Writes a penguin-like CSV of about N MB (default 1024) in a fresh folder
// under DIR (default $TMPDIR or /tmp): a few float, int and string columns,
// some empty cells, some quoted fields (embedded commas and "" quotes). Then:
//   disk   read(2) of the file in 1 MiB blocks, twice: "cold" after asking
//          the kernel to drop the file's pages (fsync + posix_fadvise
//          DONTNEED; the resident share before the read, from mincore, is
//          printed) and "warm" (the file in page cache, as it then is);
//   (a)    io::CsvReader over the file: every row parsed and unquoted;
//   (a')   the type inference pass (io::InferCsvColumns);
//   (b)    the CsvExampleGen executor: inference + conversion + TFX's hash
//          split (train 2 : eval 1) + gzip TFRecord writing, to Examples.
// (a), (a') and (b) read the warm file, so they are compared with the warm
// and the cold disk figure. MB are 10^6 bytes of CSV. The folder is removed
// at the end unless --keep.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/components/csv_example_gen.h"
#include "src/core/files.h"
#include "src/io/csv.h"

namespace {

using namespace edgepipe;  // NOLINT: a benchmark program

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double CpuSeconds(int who = RUSAGE_SELF) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec * 1e-6;
}

struct Rng {
  uint64_t s;
  uint64_t Next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
};

// Writes about `bytes` of CSV; returns the row count.
int64_t WriteCsv(const std::string& path, uint64_t bytes) {
  static const char* kSpecies[] = {"Adelie", "Gentoo", "\"Chinstrap, Pygoscelis antarcticus\""};
  static const char* kIslands[] = {"Torgersen", "Biscoe", "Dream"};
  static const char* kNotes[] = {
      "", "", "", "ok", "\"said \"\"tagged\"\", left\"", "\"egg, 2 chicks\""};
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::string buf =
      "id,species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,"
      "body_mass_g,sex,year,note\n";
  Rng rng{42};
  uint64_t written = 0;
  int64_t rows = 0;
  char num[64];
  while (written + buf.size() < bytes) {
    buf += std::to_string(rows) + ',';
    buf += kSpecies[rng.Below(3)];
    buf += ',';
    buf += kIslands[rng.Below(3)];
    buf += ',';
    if (rng.Below(50) != 0) {
      std::snprintf(num, sizeof(num), "%.1f", 32.0 + rng.Below(280) / 10.0);
      buf += num;
    }
    buf += ',';
    if (rng.Below(50) != 0) {
      std::snprintf(num, sizeof(num), "%.2f", 13.0 + rng.Below(850) / 100.0);
      buf += num;
    }
    buf += ',';
    if (rng.Below(50) != 0) buf += std::to_string(170 + rng.Below(60));
    buf += ',';
    if (rng.Below(50) != 0) buf += std::to_string(2700 + rng.Below(3600));
    buf += ',';
    const int sex = rng.Below(20);
    buf += sex == 0 ? "" : (sex % 2 ? "male" : "female");
    buf += ',';
    buf += std::to_string(2007 + rng.Below(3));
    buf += ',';
    buf += kNotes[rng.Below(6)];
    buf += '\n';
    ++rows;
    if (buf.size() > (1 << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) std::exit(1);
      written += buf.size();
      buf.clear();
    }
  }
  if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size() || std::fclose(f) != 0) std::exit(1);
  return rows;
}

// Share of the file's pages in the page cache (mincore over a mapping).
double ResidentShare(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) return -1;
  void* map = ::mmap(nullptr, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  const long page = ::sysconf(_SC_PAGESIZE);
  const size_t pages = (st.st_size + page - 1) / page;
  std::vector<unsigned char> vec(pages);
  double share = -1;
  if (::mincore(map, st.st_size, vec.data()) == 0) {
    size_t in = 0;
    for (unsigned char v : vec) in += v & 1;
    share = static_cast<double>(in) / pages;
  }
  ::munmap(map, st.st_size);
  return share;
}

// read(2) of the whole file in 1 MiB blocks; MB/s.
double ReadSpeed(const std::string& path, bool drop_cache, double* resident_before) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) std::exit(1);
  if (drop_cache) {
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  }
  *resident_before = ResidentShare(path);
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  const double t0 = Now();
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    total += static_cast<uint64_t>(n);
  }
  const double s = Now() - t0;
  ::close(fd);
  return total / 1e6 / s;
}

int Fail(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured
  uint64_t size_mb = 1024;
  const char* tmp = std::getenv("TMPDIR");
  std::string parent = tmp != nullptr ? tmp : "/tmp";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--size-mb" && i + 1 < argc) {
      size_mb = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && i + 1 < argc) {
      parent = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: %s [--size-mb N] [--dir DIR] [--keep]\n", argv[0]);
      return 2;
    }
  }
  std::string dir = JoinPath(parent, "csv_example_gen_bench_XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string input = JoinPath(dir, "input");
  const std::string path = JoinPath(input, "penguins.csv");
  if (!CreateDirectories(input).ok()) return 1;

  double t0 = Now();
  const int64_t rows = WriteCsv(path, size_mb * 1000000);
  struct stat st;
  ::stat(path.c_str(), &st);
  const double mb = st.st_size / 1e6;
  std::printf("file      %s: %.1f MB, %lld rows, written in %.1f s\n", path.c_str(), mb,
              static_cast<long long>(rows), Now() - t0);

  double resident = 0;
  const double cold = ReadSpeed(path, true, &resident);
  std::printf(
      "disk      cold read(2), 1 MiB blocks: %8.1f MB/s  (%.1f%% of the file in page "
      "cache before: dropped with posix_fadvise DONTNEED)\n",
      cold, resident * 100);
  const double warm = ReadSpeed(path, false, &resident);
  std::printf("disk      warm read(2), 1 MiB blocks: %8.1f MB/s  (%.1f%% in page cache before)\n",
              warm, resident * 100);

  // (a) parse only.
  t0 = Now();
  double c0 = CpuSeconds();
  auto reader = io::CsvReader::Open(path);
  if (!reader.ok()) return Fail(reader.status());
  int64_t parsed = 0, fields = 0;
  for (;;) {
    auto more = (*reader)->ReadRow();
    if (!more.ok()) return Fail(more.status());
    if (!*more) break;
    ++parsed;
    fields += static_cast<int64_t>((*reader)->row().size());
  }
  double s = Now() - t0;
  const double parse_mb_s = mb / s;
  std::printf(
      "(a)  CsvReader parse:        %7.2f s  %8.1f MB/s  %5.2f M rows/s  cpu %.2f s  "
      "(%.1f%% in page cache before)\n",
      s, mb / s, parsed / s / 1e6, CpuSeconds() - c0, ResidentShare(path) * 100);
  if (parsed != rows) {
    std::fprintf(stderr, "error: parsed %lld rows, wrote %lld\n", static_cast<long long>(parsed),
                 static_cast<long long>(rows));
    return 1;
  }

  // (a') type inference.
  t0 = Now();
  c0 = CpuSeconds();
  auto columns = io::InferCsvColumns({path});
  if (!columns.ok()) return Fail(columns.status());
  s = Now() - t0;
  std::string types;
  for (size_t i = 0; i < columns->names.size(); ++i) {
    types += (i ? " " : "") + columns->names[i] + ":" + io::CsvTypeName(columns->types[i]);
  }
  std::printf("(a') type inference pass:    %7.2f s  %8.1f MB/s  cpu %.2f s  [%s]\n", s, mb / s,
              CpuSeconds() - c0, types.c_str());

  // (b) the whole component.
  auto component = components::CsvExampleGen({.input_base = input});
  if (!component.ok()) return Fail(component.status());
  pipeline::ArtifactMap inputs, outputs;
  pipeline::Artifact examples;
  examples.type_name = "Examples";
  examples.uri = JoinPath(dir, "out/CsvExampleGen/examples/1");
  if (!CreateDirectories(examples.uri).ok()) return 1;
  outputs["examples"].push_back(examples);
  nlohmann::json exec_properties = component->exec_properties;
  std::vector<pipeline::ExternalPublish> publishes;
  pipeline::ExecutionContext ctx;
  ctx.inputs = &inputs;
  ctx.outputs = &outputs;
  ctx.exec_properties = &exec_properties;
  ctx.pipeline_root = JoinPath(dir, "out");
  ctx.pipeline_name = "bench";
  ctx.node_id = component->id;
  ctx.run_id = "bench";
  ctx.execution_id = 1;
  ctx.tmp_dir = JoinPath(dir, "out/tmp");
  ctx.external_publishes = &publishes;
  if (!CreateDirectories(ctx.tmp_dir).ok()) return 1;
  t0 = Now();
  c0 = CpuSeconds();
  const double thread0 = CpuSeconds(RUSAGE_THREAD);
  Status run = component->executor(ctx);
  s = Now() - t0;
  const double cpu = CpuSeconds() - c0;
  const double caller_cpu = CpuSeconds(RUSAGE_THREAD) - thread0;
  if (!run.ok()) return Fail(run);
  const pipeline::Artifact& out = outputs["examples"][0];
  uint64_t out_bytes = 0;
  auto files = ListFilesRecursively(out.uri);
  if (files.ok()) {
    for (const std::string& f : *files) {
      struct stat fs;
      if (::stat(f.c_str(), &fs) == 0) out_bytes += fs.st_size;
    }
  }
  std::printf(
      "(b)  CsvExampleGen executor: %7.2f s  %8.1f MB/s  %5.2f M rows/s  cpu %.2f s "
      "(executor thread %.2f s, writer thread %.2f s)  train %lld + eval %lld examples, "
      "%.1f MB of gzip TFRecords\n",
      s, mb / s, rows / s / 1e6, cpu, caller_cpu, cpu - caller_cpu,
      static_cast<long long>(std::get<int64_t>(out.custom_properties.at("num_examples_train"))),
      static_cast<long long>(std::get<int64_t>(out.custom_properties.at("num_examples_eval"))),
      out_bytes / 1e6);
  double load[1] = {0};
  if (::getloadavg(load, 1) != 1) load[0] = -1;
  // The executor's thread reads, converts, serializes and hashes; the split
  // writer's thread deflates and writes. With two free cores the wall time
  // is bounded by the busier of the two.
  std::printf(
      "RESULT csv_mb=%.1f disk_cold_mb_s=%.1f disk_warm_mb_s=%.1f parse_mb_s=%.1f "
      "example_gen_mb_s=%.1f example_gen_two_free_cores_mb_s=%.1f load1=%.2f\n",
      mb, cold, warm, parse_mb_s, mb / s, mb / std::max(caller_cpu, cpu - caller_cpu), load[0]);
  if (keep) {
    std::printf("kept %s\n", dir.c_str());
  } else if (!RemoveAll(dir).ok()) {
    std::fprintf(stderr, "error: cannot remove %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
