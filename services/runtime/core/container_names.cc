// Container IDs from getrandom(2) and "adjective_surname" names from berth's own word
// lists: everyday adjectives, and surnames of people who shaped science and engineering.
#include "services/runtime/core/container_names.h"

#include <cstdlib>
#include <iterator>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/random_hex.h"

namespace berth::runtime {
namespace {

constexpr const char* kAdjectives[] = {
    "agile",     "ambitious", "amber",    "ample",   "ardent",  "astute",   "balmy",   "bashful",
    "blithe",    "boring",    "breezy",   "bright",  "brisk",   "bubbly",   "calm",    "candid",
    "careful",   "cheerful",  "chipper",  "civil",   "cordial", "cosmic",   "crisp",   "curious",
    "dapper",    "daring",    "dashing",  "deft",    "devoted", "diligent", "dutiful", "earnest",
    "easygoing", "fabled",    "fearless", "fiery",   "fluent",  "frank",    "frugal",  "genial",
    "gentle",    "glad",      "gleeful",  "golden",  "grand",   "hardy",    "hearty",  "honest",
    "humble",    "jaunty",    "joyful",   "kindly",  "lively",  "lofty",    "loyal",   "lucky",
    "lyrical",   "majestic",  "mellow",   "merry",   "mighty",  "mindful",  "nimble",  "noble",
    "ornate",    "patient",   "placid",   "plucky",  "poised",  "polite",   "proud",   "prudent",
    "punctual",  "quick",     "quiet",    "radiant", "rapid",   "ready",    "robust",  "rosy",
    "rugged",    "rustic",    "savvy",    "shiny",   "sincere", "sleek",    "snappy",  "sober",
    "solid",     "spry",      "steady",   "stellar", "sturdy",  "sunny",    "swift",   "thrifty",
    "tidy",      "tireless",  "tranquil", "trusty",  "upright", "valiant",  "vivid",   "vocal",
    "warm",      "wary",      "willing",  "wise",    "witty",   "zesty",    "zippy",
};

constexpr const char* kSurnames[] = {
    // mathematics
    "abel",
    "agnesi",
    "bernoulli",
    "boole",
    "cantor",
    "cauchy",
    "chebyshev",
    "dedekind",
    "descartes",
    "euclid",
    "euler",
    "fermat",
    "fibonacci",
    "fourier",
    "galois",
    "gauss",
    "germain",
    "hilbert",
    "jacobi",
    "kolmogorov",
    "kovalevskaya",
    "lagrange",
    "laplace",
    "leibniz",
    "lyapunov",
    "markov",
    "mirzakhani",
    "napier",
    "nash",
    "noether",
    "pascal",
    "poincare",
    "ramanujan",
    "riemann",
    "somerville",
    "wiener",
    // computing
    "adleman",
    "allen",
    "amdahl",
    "babbage",
    "bachman",
    "backus",
    "codd",
    "cray",
    "diffie",
    "dijkstra",
    "engelbart",
    "floyd",
    "goldberg",
    "goldwasser",
    "hamilton",
    "hamming",
    "hellman",
    "hoare",
    "hopper",
    "huffman",
    "iverson",
    "karp",
    "kernighan",
    "knuth",
    "lamport",
    "liskov",
    "lovelace",
    "mccarthy",
    "merkle",
    "micali",
    "minsky",
    "naur",
    "perlis",
    "rabin",
    "ritchie",
    "rivest",
    "sammet",
    "shamir",
    "shannon",
    "stonebraker",
    "sutherland",
    "tarjan",
    "thacker",
    "thompson",
    "torvalds",
    "turing",
    "wirth",
    "wozniak",
    // physics and astronomy
    "bohr",
    "boltzmann",
    "bose",
    "brahe",
    "burnell",
    "chandrasekhar",
    "copernicus",
    "dirac",
    "einstein",
    "faraday",
    "fermi",
    "feynman",
    "galileo",
    "gibbs",
    "hawking",
    "heisenberg",
    "hertz",
    "hubble",
    "kepler",
    "leavitt",
    "maxwell",
    "meitner",
    "newton",
    "pauli",
    "planck",
    "raman",
    "rubin",
    "rutherford",
    "saha",
    "schrodinger",
    "wu",
    // chemistry and life sciences
    "avogadro",
    "carson",
    "crick",
    "curie",
    "dalton",
    "darwin",
    "elion",
    "franklin",
    "goodall",
    "hodgkin",
    "lavoisier",
    "mcclintock",
    "mendel",
    "mendeleev",
    "pasteur",
    "sanger",
    "yalow",
    // engineering and invention
    "ampere",
    "bardeen",
    "bell",
    "brunel",
    "carnot",
    "clarke",
    "edison",
    "goddard",
    "jackson",
    "johnson",
    "kilby",
    "lamarr",
    "marconi",
    "morse",
    "noyce",
    "ohm",
    "stephenson",
    "tesla",
    "tsiolkovsky",
    "vaughan",
    "volta",
    "watt",
};

// Names need no CSPRNG, only draws that differ between processes and threads.
std::mt19937_64& NameEngine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

size_t Uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(NameEngine()); }

std::string RandomName() {
  for (;;) {
    std::string name = absl::StrCat(kAdjectives[Uniform(std::size(kAdjectives))], "_",
                                    kSurnames[Uniform(std::size(kSurnames))]);
    if (name != "boring_wozniak") return name;  // Docker's rule: Wozniak is not boring
  }
}

}  // namespace

std::string NewContainerId() {
  for (;;) {
    std::string id = RandomHex(32);
    bool all_digits = true;
    for (size_t i = 0; i < kShortIdLength; ++i)
      all_digits = all_digits && absl::ascii_isdigit(id[i]);
    if (!all_digits) return id;
  }
}

bool IsContainerId(absl::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

std::string GenerateContainerName(absl::FunctionRef<bool(const std::string&)> taken) {
  // Docker tries a bare name once and then five with one digit; berth tries a few more of
  // each, then numbers that grow until one is free.
  constexpr int kBareTries = 5;
  constexpr int kDigitTries = 10;
  for (int i = 0; i < kBareTries; ++i) {
    std::string name = RandomName();
    if (!taken(name)) return name;
  }
  for (int i = 0; i < kDigitTries; ++i) {
    std::string name = absl::StrCat(RandomName(), Uniform(10));
    if (!taken(name)) return name;
  }
  for (size_t range = 100;; range = range < (size_t{1} << 40) ? range * 10 : range) {
    std::string name = absl::StrCat(RandomName(), Uniform(range));
    if (!taken(name)) return name;
  }
}

absl::Status ValidateContainerName(absl::string_view name) {
  auto first = [](char c) { return absl::ascii_isalnum(c); };
  auto rest = [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-'; };
  bool valid = name.size() >= 2 && first(name.front());
  for (size_t i = 1; valid && i < name.size(); ++i) valid = rest(name[i]);
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("Invalid container name (", name,
                                                 "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
}

}  // namespace berth::runtime
