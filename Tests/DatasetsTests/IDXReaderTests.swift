import Foundation
import Testing
@testable import Datasets
import Tensor

@Suite("IDX reader", .serialized)
struct IDXReaderTests {
    let images = idxBytes(type: 0x08, dimensions: [3, 2, 2], payload: [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8])
    let labels = idxBytes(type: 0x08, dimensions: [3], payload: [2, 0, 1])

    @Test("Bytes are scaled to [0, 1] and images flattened to rows")
    func readsImages() throws {
        let set = try IDXReader.read(imageData: images, labelData: labels)
        #expect(set.features.shape == [3, 4])
        #expect(set.features[0, 0] == 0)
        #expect(set.features[0, 1] == 1)
        #expect(set.features[0, 2] == Float(51) / 255)
        #expect(set.labels == [2, 0, 1])
        #expect(set.classNames == ["0", "1", "2"])
    }

    @Test("Gzip round trip: compressed files and bytes read the same as plain")
    func gzipRoundTrip() throws {
        let dir = try TempDir()
        let plain = try IDXReader.read(images: dir.write("train-images-idx3-ubyte", images), labels: dir.write("l", labels))
        let imagesGz = try gzipCompress(images)
        #expect(imagesGz.starts(with: [0x1F, 0x8B]))
        try dir.write("t10k-images-idx3-ubyte.gz", imagesGz)
        try dir.write("t10k-labels-idx1-ubyte.gz", try gzipCompress(labels))
        // Labels found beside the images by MNIST's naming convention.
        let compressed = try IDXReader.read(images: dir.url.appendingPathComponent("t10k-images-idx3-ubyte.gz").path)
        #expect(compressed.features == plain.features)
        #expect(compressed.labels == plain.labels)
        let fromBytes = try IDXReader.read(imageData: imagesGz, labelData: try gzipCompress(labels))
        #expect(fromBytes.features == plain.features)
    }

    @Test("Other element types are read big-endian without scaling")
    func otherTypes() throws {
        let floats = idxBytes(type: 0x0D, dimensions: [2, 1], payload: bigEndianBytes([Float(1.5).bitPattern, Float(-2).bitPattern]))
        #expect(try IDXReader.readFeatures(data: floats).scalars == [1.5, -2])
        let shorts = idxBytes(type: 0x0B, dimensions: [2], payload: bigEndianBytes([Int16(-300), 7]))
        #expect(try IDXReader.readFeatures(data: shorts).scalars == [-300, 7])
        let doubles = idxBytes(type: 0x0E, dimensions: [1], payload: bigEndianBytes([Double(0.25).bitPattern]))
        #expect(try IDXReader.readFeatures(data: doubles).scalars == [0.25])
    }

    @Test("Errors name the byte offset and what was expected")
    func headerErrors() throws {
        var bad = images; bad[0] = 1
        #expect(errorMessage { _ = try IDXReader.readFeatures(data: bad, name: "x.idx") }
                == "x.idx, byte 0: expected an IDX magic number starting with two zero bytes, found 0x01 0x00 0x08 0x03")
        bad = images; bad[2] = 0x07
        #expect(errorMessage { _ = try IDXReader.readFeatures(data: bad, name: "x.idx") }.hasPrefix("x.idx, byte 2: expected an IDX type code"))
        bad = images; bad[3] = 0
        #expect(errorMessage { _ = try IDXReader.readFeatures(data: bad, name: "x.idx") }.hasPrefix("x.idx, byte 3: expected a number of dimensions"))
        // Dimensions that do not account for the length.
        let short = images.dropLast()
        #expect(errorMessage { _ = try IDXReader.readFeatures(data: Data(short), name: "x.idx") }
                == "x.idx: expected 28 bytes (16-byte header + dimensions [3, 2, 2] × 1 bytes), found 27 bytes")
        // A header cut off in the middle of the dimensions.
        #expect(errorMessage { _ = try IDXReader.readFeatures(data: Data(images.prefix(9)), name: "x.idx") }
                .hasPrefix("x.idx, byte 9: expected 3 IDX dimensions (12 bytes at byte 4)"))
        // Huge dimensions are refused before any allocation.
        let huge = idxBytes(type: 0x0E, dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [])
        #expect(expectDataError { _ = try IDXReader.readFeatures(data: huge) } != nil)
    }

    @Test("Gzip: truncated streams, altered lengths and trailing bytes are errors")
    func gzipErrors() throws {
        let gz = try gzipCompress(images)
        // Cut inside the deflate stream: the trailer no longer matches, caught before reading.
        let cut = Data(gz.prefix(gz.count - 6))
        #expect(expectDataError { _ = try IDXReader.readFeatures(data: cut, name: "c.gz") } != nil)
        // A valid gzip of the file plus trailing bytes: the trailer says 29 bytes, the header 28.
        var longer = images; longer.append(9)
        let message = errorMessage { _ = try IDXReader.readFeatures(data: try gzipCompress(longer), name: "l.gz") }
        #expect(message.contains("l.gz") && message.contains("29"))
        let dir = try TempDir()
        let path = try dir.write("cut.gz", cut)
        #expect(expectDataError { _ = try IDXReader.readFeatures(path: path) } != nil)
        // Plain file with a trailing byte: the length check names both sizes.
        let trailing = try dir.write("t.idx", longer)
        #expect(errorMessage { _ = try IDXReader.readFeatures(path: trailing) }.contains("found 29 bytes"))
    }

    @Test("Images and labels must agree in count; labels must be small class indices")
    func labelErrors() throws {
        let two = idxBytes(type: 0x08, dimensions: [2], payload: [0, 1])
        #expect(errorMessage { _ = try IDXReader.read(imageData: images, labelData: two, name: "m") }
                == "m (labels): expected 3 labels, one per example in m, found 2")
        let negative = idxBytes(type: 0x0C, dimensions: [1], payload: bigEndianBytes([Int32(-1)]))
        #expect(errorMessage { _ = try IDXReader.readLabels(data: negative, name: "n") }
                == "n, byte 8: expected a class index in 0...65535 (label 0), found -1.0")
        let matrix = idxBytes(type: 0x08, dimensions: [1, 1], payload: [0])
        #expect(expectDataError { _ = try IDXReader.readLabels(data: matrix) } != nil)
    }

    @Test("A missing labels file is reported by the name looked for")
    func missingLabels() throws {
        let dir = try TempDir()
        let path = try dir.write("train-images-idx3-ubyte", images)
        let message = errorMessage { _ = try IDXReader.read(images: path) }
        #expect(message.hasSuffix("train-labels-idx1-ubyte: no such file or directory"))
        #expect(errorMessage { _ = try IDXReader.read(images: dir.path + "/nope") }.contains("nope: no such file"))
    }

    @Test("A directory of the four MNIST files reads as training and test sets")
    func directory() throws {
        let dir = try TempDir()
        try dir.write("train-images-idx3-ubyte.gz", gzipCompress(images))
        try dir.write("train-labels-idx1-ubyte.gz", gzipCompress(labels))
        try dir.write("t10k-images-idx3-ubyte", images)
        try dir.write("t10k-labels-idx1-ubyte", idxBytes(type: 0x08, dimensions: [3], payload: [0, 0, 3]))
        let (train, test) = try IDXReader.readDirectory(dir.path)
        #expect(train.count == 3 && test.count == 3)
        #expect(train.classNames == ["0", "1", "2", "3"])
        #expect(test.classNames == train.classNames)
    }

    static let fashion = "/usr/share/datasets/fashion-mnist"

    @Test("Fashion-MNIST: 60000 × 784 training images, 10000 test, first label 9",
          .enabled(if: FileManager.default.fileExists(atPath: fashion + "/train-images-idx3-ubyte.gz")))
    func fashionMNIST() throws {
        let (train, test) = try IDXReader.readDirectory(Self.fashion)
        #expect(train.features.shape == [60000, 784])
        #expect(test.features.shape == [10000, 784])
        #expect(train.labels.allSatisfy { (0..<10).contains($0) })
        #expect(train.classNames.count == 10)
        // `gzip -dc train-labels-idx1-ubyte.gz | od -A d -t u1 -j 8 -N 4` prints 9 0 0 3.
        #expect(Array(train.labels.prefix(4)) == [9, 0, 0, 3])
        #expect(train.classCounts == [Int](repeating: 6000, count: 10))
        train.features.withUnsafeBufferPointer { p in #expect(p.allSatisfy { $0 >= 0 && $0 <= 1 }) }
    }

    @Test("Fashion-MNIST training images: read fast, holding the data once",
          .enabled(if: FileManager.default.fileExists(atPath: fashion + "/train-images-idx3-ubyte.gz")))
    func fashionMNISTCost() throws {
        // Linux: writing 5 to clear_refs resets the high-water mark VmHWM to the current RSS, so the
        // earlier tests' peaks do not hide this read's.
        func status(_ key: String) -> Int {
            let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix(key + ":") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        func peakKiB() -> Int { status("VmHWM") }
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = status("VmRSS")
        let start = Date()
        let x = try IDXReader.readFeatures(path: Self.fashion + "/train-images-idx3-ubyte.gz")
        let seconds = Date().timeIntervalSince(start)
        let grownKiB = peakKiB() - before
        let tensorKiB = x.count * MemoryLayout<Float>.size / 1024
        print("Fashion-MNIST train images: \(String(format: "%.3f", seconds)) s, peak RSS grew \(grownKiB) KiB for a \(tensorKiB) KiB tensor")
        // A second copy of the uncompressed bytes alone would add 45,938 KiB; allow well under that.
        #expect(grownKiB < tensorKiB + 20_000)
        // Generous against a loaded machine: ~0.4 s measured in a release build.
        #expect(seconds < 2)
    }
}
