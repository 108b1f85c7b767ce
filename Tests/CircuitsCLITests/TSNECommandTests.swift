import Foundation
import Testing
@testable import CircuitsCLI

/// A float32 NPY file (format 1.0) of `rows` × `columns` values.
func writeNPY(_ values: [Float], rows: Int, columns: Int, to path: String) throws {
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data += Data([UInt8(length & 0xFF), UInt8(length >> 8)]) + Data(header.utf8)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += Data($0) } }
    try data.write(to: URL(fileURLWithPath: path))
}

@Suite("circuits tsne", .serialized)
struct TSNECommandTests {
    /// Reads an embedding CSV back: header and rows.
    func readCSV(_ path: String) throws -> (header: String, rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        return (lines[0], lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
    }

    @Test("Writes x,y,label in input order, a self-contained plot, and a JSON summary")
    func csvPlotAndJSON() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir, rows: 120)
        let out = dir.appendingPathComponent("embedding.csv").path, plot = dir.appendingPathComponent("plot.html").path
        let r = circuits(["tsne", "--data", csv, "--out", out, "--plot", plot, "--perplexity", "10", "--iterations", "300",
                          "--threads", "2", "--json", "--class-names", "Iris setosa,Iris versicolor,Iris virginica"])
        #expect(r.code == .success, "\(r.errors)")
        let (header, rows) = try readCSV(out)
        #expect(header == "x,y,label")
        #expect(rows.count == 120)
        #expect(rows.allSatisfy { $0.count == 3 && Double($0[0])?.isFinite == true && Double($0[1])?.isFinite == true })
        // Input order: the tiny CSV cycles through its three classes.
        let names = ["Iris setosa", "Iris versicolor", "Iris virginica"]
        #expect(rows.enumerated().allSatisfy { $0.element[2] == names[$0.offset % 3] })
        let html = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(html.contains("id=\"tsne-scatter\"") && html.contains("id=\"legend\""))
        #expect(html.components(separatedBy: "class=\"points\"").count - 1 == 3)
        #expect(html.contains("Iris versicolor"))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        // --json: six progress objects (every 50 of 300 iterations) and a summary.
        let lines = r.output.split(separator: "\n")
        #expect(lines.count == 7)
        let summary = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any]
        #expect(summary?["event"] as? String == "summary")
        #expect(summary?["method"] as? String == "exact")   // 120 points: the exact gradient is fastest
        #expect((summary?["klDivergence"] as? Double).map { $0.isFinite && $0 > 0 } == true)
        // The embedding is itself a data set the other commands read.
        let again = circuits(["tsne", "--data", out, "--out", dir.appendingPathComponent("again.csv").path,
                              "--perplexity", "10", "--iterations", "100"])
        #expect(again.code == .success, "\(again.errors)")
    }

    @Test("Same seed and threads: the same CSV; progress prints KL every 50 iterations")
    func reproducible() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir, rows: 60)
        func run(_ name: String, seed: String) throws -> String {
            let out = dir.appendingPathComponent(name).path
            let r = circuits(["tsne", "--data", csv, "--out", out, "--perplexity", "8", "--iterations", "150",
                              "--init", "random", "--seed", seed, "--threads", "2", "--method", "barnes-hut"])
            #expect(r.code == .success, "\(r.errors)")
            #expect(r.errors.contains("iteration 50/150  KL ") && r.errors.contains("iteration 150/150  KL "))
            return try String(contentsOfFile: out, encoding: .utf8)
        }
        #expect(try run("a.csv", seed: "3") == run("b.csv", seed: "3"))
        #expect(try run("c.csv", seed: "4") != run("a.csv", seed: "3"))
    }

    @Test("Bad input is a clear error: perplexity, too few rows, NaN, missing outputs, unknown method")
    func badInput() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir, rows: 30)
        let out = dir.appendingPathComponent("e.csv").path
        let big = circuits(["tsne", "--data", csv, "--out", out, "--perplexity", "29"])
        #expect(big.code == .failure)
        #expect(big.errors.contains("perplexity 29.0 is too large for 30 points"))
        let three = dir.appendingPathComponent("three.csv").path
        try "a,b,c\n1,2,x\n3,4,y\n5,6,x\n".write(toFile: three, atomically: true, encoding: .utf8)
        let few = circuits(["tsne", "--data", three, "--out", out, "--perplexity", "1"])
        #expect(few.code == .failure && few.errors.contains("at least 4 points, got 3"))
        // A CSV reader refuses "nan" itself, naming the line and column…
        let nanCSV = dir.appendingPathComponent("nan.csv").path
        try "a,b,c\n1,2,x\n3,4,y\n5,nan,x\n7,8,y\n9,10,x\n11,12,y\n".write(toFile: nanCSV, atomically: true, encoding: .utf8)
        let csvNaN = circuits(["tsne", "--data", nanCSV, "--out", out, "--perplexity", "2"])
        #expect(csvNaN.code == .failure && csvNaN.errors.contains("nan.csv:4:2"), "\(csvNaN.errors)")
        // …and so does the NPY reader for NaN in binary floats (an unlabelled file), naming row and column.
        let npy = dir.appendingPathComponent("features.npy").path
        var values = (0..<12).map { Float($0) }
        values[5] = .nan
        try writeNPY(values, rows: 6, columns: 2, to: npy)
        let withNaN = circuits(["tsne", "--data", npy, "--out", out, "--perplexity", "2"])
        #expect(withNaN.code == .failure)
        #expect(withNaN.errors.contains("features.npy, row 2, column 1 (0-based): expected a finite number, found NaN"), "\(withNaN.errors)")
        values[5] = 5
        try writeNPY(values, rows: 6, columns: 2, to: npy)
        let fine = circuits(["tsne", "--data", npy, "--out", out, "--perplexity", "2"])
        #expect(fine.code == .success, "\(fine.errors)")
        #expect(try readCSV(out).header == "x,y")   // no labels, no label column
        #expect(circuits(["tsne", "--data", csv]).code == .usage)   // nowhere to write
        #expect(circuits(["tsne", "--data", csv, "--out", out, "--method", "bh"]).errors.contains("--method must be one of"))
        #expect(circuits(["tsne", "--data", csv, "--out", out, "--layer", "1"]).errors.contains("--layer needs --model"))
        #expect(circuits(["tsne", "--data", csv, "--out", out, "--learning-rate", "fast"]).code == .usage)
        #expect(circuits(["tsne", "--data", csv, "--out", out, "--class-names", "a,b"]).errors.contains("the data has 3 classes"))
    }

    @Test("--iterations 0 is refused: the starting positions are not an embedding")
    func zeroIterations() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir, rows: 30)
        let r = circuits(["tsne", "--data", csv, "--out", dir.appendingPathComponent("e.csv").path, "--perplexity", "5", "--iterations", "0"])
        #expect(r.code == .usage && r.errors.contains("--iterations expects an integer ≥ 1"), "\(r.errors)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("e.csv").path))
    }

    @Test("more exaggerated iterations than iterations in all is refused, naming both")
    func exaggerationBeyondIterations() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir, rows: 30)
        let r = circuits(["tsne", "--data", csv, "--out", dir.appendingPathComponent("e.csv").path, "--perplexity", "5",
                          "--iterations", "100", "--early-exaggeration-iterations", "300"])
        #expect(r.code == .usage && r.errors.contains("--early-exaggeration-iterations 300 exceeds --iterations 100"), "\(r.errors)")
    }

    @Test("--model --layer embeds a trained network's hidden activations")
    func modelLayer() throws {
        let dir = try temporaryDirectory()
        let csv = try writeTinyCSV(in: dir, rows: 90)
        let model = dir.appendingPathComponent("m.safetensors").path
        let train = circuits(["train", "--data", csv, "--model", "mlp:12", "--epochs", "20", "--lr", "0.05",
                              "--standardize", "--out", model])
        #expect(train.code == .success, "\(train.errors)")
        let out = dir.appendingPathComponent("hidden.csv").path
        let r = circuits(["tsne", "--model", model, "--layer", "2", "--data", csv, "--out", out,
                          "--perplexity", "10", "--iterations", "200", "--json"])
        #expect(r.code == .success, "\(r.errors)")
        #expect(r.errors.contains("layer 2: 12 activations"))
        let summary = try JSONSerialization.jsonObject(with: Data(r.output.split(separator: "\n").last!.utf8)) as? [String: Any]
        #expect(summary?["embeddedFeatures"] as? Int == 12)
        #expect(try readCSV(out).rows.count == 90)
        let tooDeep = circuits(["tsne", "--model", model, "--layer", "9", "--data", csv, "--out", out])
        #expect(tooDeep.code == .usage && tooDeep.errors.contains("beyond the model's 3 layers"))
    }
}
