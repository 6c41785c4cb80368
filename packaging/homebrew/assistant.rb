# Homebrew formula template for a tap (homebrew-core does not take prebuilt bundles).
#
# It installs the one-folder bundle that `make package` builds, archived per platform:
#   tar -C dist -czf assistant-VERSION-macos-arm64.tar.gz assistant
# Fill in the @PLACEHOLDERS@ from a release (`shasum -a 256 FILE` gives each sha256),
# then `brew install --build-from-source ./assistant.rb` and `brew test assistant`.
# Build the macOS bundles with llama-cpp-python compiled for Metal (packaging/README.md).
class Assistant < Formula
  desc "Local-first terminal assistant on a local GGUF model that learns from use"
  homepage "@HOMEPAGE@"
  version "@VERSION@"
  license "Apache-2.0"

  on_macos do
    on_arm do
      url "@RELEASES_URL@/v#{version}/assistant-#{version}-macos-arm64.tar.gz"
      sha256 "@SHA256_MACOS_ARM64@"
    end
    on_intel do
      url "@RELEASES_URL@/v#{version}/assistant-#{version}-macos-x86_64.tar.gz"
      sha256 "@SHA256_MACOS_X86_64@"
    end
  end

  on_linux do
    on_intel do
      url "@RELEASES_URL@/v#{version}/assistant-#{version}-linux-x86_64.tar.gz"
      sha256 "@SHA256_LINUX_X86_64@"
    end
  end

  def install
    # The executable finds its libraries in _internal/ next to its real path, so the
    # folder stays whole in libexec and bin gets a symlink.
    libexec.install Dir["*"]
    bin.install_symlink libexec/"assistant"
  end

  def caveats
    <<~EOS
      The first chat unpacks the embedded model (about 250 MB) into the user cache dir.
      Set ASSISTANT_HOME to keep config, data and cache elsewhere.
    EOS
  end

  test do
    ENV["ASSISTANT_HOME"] = (testpath/"home").to_s
    assert_match "assistant #{version}", shell_output("#{bin}/assistant --version")
    assert_match "\"config\"", shell_output("#{bin}/assistant paths --json")
  end
end
