import Foundation

// t-SNE against its peers (issue #17): `circuits tsne` and scikit-learn's and openTSNE's t-SNE on
// Fashion-MNIST (pixels / 255 → PCA 50, perplexity 30, 1000 iterations), each run in its own fresh
// process — ours is the built `circuits` binary, theirs Benchmarks/peers/tsne_*.py — in rounds that
// alternate the sides, at the same thread count. Times are each tool's own "PCA to embedding" seconds
// (data loading and interpreter start-up excluded on every side), medians over the rounds; the process
// wall time is printed beside them. Quality comes from one scorer for every embedding
// (Benchmarks/peers/tsne_score.py): KL(P‖Q) with one P, trustworthiness(10), 10-NN preservation and the
// 10-NN classifier's accuracy in 2-D.

private struct TSNESide {
    var name: String          // as printed: "circuits", "sklearn-bh", "openTSNE-bh", "openTSNE-fft"
    var script: String?       // nil for ours
    var arguments: [String]
}

private struct TSNERun {
    var side: String
    var seconds: Double       // PCA → embedding
    var wall: Double          // process start to exit
    var csv: String
}

func tsneSuite(_ context: BenchContext) throws -> [BenchFigure] {
    guard let root = context.repoRoot else {
        context.report.say("  tsne: repository root not found; skipped")
        return []
    }
    let circuits = root + "/.build/release/circuits"
    guard FileManager.default.isExecutableFile(atPath: circuits) else {
        context.report.say("  tsne: \(circuits) not built (swift build -c release --product circuits); skipped")
        return []
    }
    let runner = PeerRunner(context: context)
    let threads = context.options.threads.last ?? 2
    let directory = root + "/.build/tsne-bench"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let dataDirectory = ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist"
    // Sizes, rounds and peers: at 10k every peer, three rounds; at 70k openTSNE's FFT method (the issue's
    // peer there; scikit-learn's Barnes-Hut would take most of an hour), one round. --quick: 10k, one round.
    let onlySize = ProcessInfo.processInfo.environment["TSNE_BENCH_SIZE"]
    var plans: [(size: String, rounds: Int, peers: [TSNESide])] = [
        ("10k", context.quick ? 1 : 3, [
            TSNESide(name: "sklearn-bh", script: "tsne_sklearn.py", arguments: ["--method", "barnes_hut"]),
            TSNESide(name: "openTSNE-bh", script: "tsne_opentsne.py", arguments: ["--method", "bh"]),
            TSNESide(name: "openTSNE-fft", script: "tsne_opentsne.py", arguments: ["--method", "fft"]),
        ]),
    ]
    if !context.quick {
        plans.append(("70k", 1, [TSNESide(name: "openTSNE-fft", script: "tsne_opentsne.py", arguments: ["--method", "fft"])]))
    }
    if let onlySize { plans = plans.filter { $0.size == onlySize } }
    var figures: [BenchFigure] = []
    for plan in plans {
        let data = plan.size == "10k" ? dataDirectory + "/t10k-images-idx3-ubyte.gz" : dataDirectory
        var runs: [TSNERun] = []
        var versions: [String: String] = [:]
        let ours = TSNESide(name: "circuits", script: nil, arguments: [])
        for round in 0..<plan.rounds {
            // Rotate the order each round so no side always runs first (or right after another's load).
            var order = [ours] + plan.peers
            order = Array(order[(round % order.count)...] + order[..<(round % order.count)])
            for side in order {
                let csv = "\(directory)/\(plan.size)-\(side.name)-\(round + 1).csv"
                context.report.say("  (tsne \(plan.size), round \(round + 1)/\(plan.rounds): \(side.name))")
                let start = DispatchTime.now().uptimeNanoseconds
                if let script = side.script {
                    let args = side.arguments + ["--size", plan.size, "--out", csv, "--threads", "\(threads)", "--seed", "\(round + 1)"]
                    guard let records = runner.run(script, args, timeout: 3600), let r = records.last, let v = r.value else { continue }
                    versions[side.name] = r.version
                    runs.append(TSNERun(side: side.name, seconds: v, wall: secondsSince(start), csv: csv))
                } else {
                    let args = ["tsne", "--data", data, "--out", csv, "--threads", "\(threads)", "--seed", "\(round + 1)", "--json"]
                    guard let result = runCapturing(circuits, args, timeout: 3600), result.status == 0 else {
                        context.report.say("  circuits tsne failed; skipped this run")
                        continue
                    }
                    let wall = secondsSince(start)
                    let summary = result.stdout.split(separator: "\n").last.flatMap {
                        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                    }
                    let timing = summary?["seconds"] as? [String: Double] ?? [:]
                    // PCA to embedding: the total less reading the data and writing the files.
                    let embed = (timing["total"] ?? wall) - (timing["load"] ?? 0) - (timing["write"] ?? 0)
                    runs.append(TSNERun(side: side.name, seconds: embed, wall: wall, csv: csv))
                }
            }
        }
        // One scorer for every embedding.
        var quality: [String: [String: Double]] = [:]
        let csvs = runs.map(\.csv)
        if !csvs.isEmpty, let records = runner.run("tsne_score.py", ["--size", plan.size, "--threads", "\(threads)"] + csvs, timeout: 3600) {
            for r in records {
                guard let file = r.fields["file"] as? String else { continue }
                var q: [String: Double] = [:]
                for key in ["kl", "trustworthiness", "knn_preservation", "knn_accuracy"] { q[key] = r.double(key) }
                quality[file] = q
            }
        }
        func medianOf(_ side: String, _ key: String) -> Double? {
            let values = runs.filter { $0.side == side }.compactMap { key == "seconds" ? $0.seconds : key == "wall" ? $0.wall : quality[$0.csv]?[key] }
            return values.isEmpty ? nil : median(values)
        }
        guard let ourTime = medianOf("circuits", "seconds") else { continue }
        let sides = ["circuits"] + plan.peers.map(\.name)
        context.report.say("  tsne \(plan.size) (\(threads) threads; medians over \(plan.rounds) round\(plan.rounds == 1 ? "" : "s")):")
        context.report.say("    side           PCA→embedding   process    KL      T(10)   10-NN kept  10-NN acc")
        for side in sides {
            func f(_ key: String, _ format: String) -> String { medianOf(side, key).map { String(format: format, $0) } ?? "—" }
            context.report.say("    " + side.padding(toLength: 14, withPad: " ", startingAt: 0) + " " + f("seconds", "%8.1f s") + "   " + f("wall", "%6.1f s")
                               + "   " + f("kl", "%.3f") + "   " + f("trustworthiness", "%.4f") + "   " + f("knn_preservation", "%.3f")
                               + "       " + f("knn_accuracy", "%.3f"))
        }
        // Speed: below every peer's time.
        for peer in plan.peers {
            let base = medianOf(peer.name, "seconds")
            var figure = BenchFigure(suite: "tsne", name: "tsne \(plan.size) vs \(peer.name)", value: ourTime, unit: "s",
                                     baseline: base, baselineName: peer.name, ratio: base.map { $0 / ourTime },
                                     note: "PCA→embedding, \(threads) threads, medians over \(plan.rounds); "
                                         + "\(peer.name) \(versions[peer.name] ?? "?"); ratio is their time / ours")
            figure.requireRatio(atLeast: 1, "faster than \(peer.name)")
            figures.append(figure)
        }
        // Quality: KL within 0.05 of the best peer; 10-NN figures within a point of openTSNE's.
        if let ourKL = medianOf("circuits", "kl") {
            let peerKLs = plan.peers.compactMap { p in medianOf(p.name, "kl").map { (p.name, $0) } }
            let best = peerKLs.min { $0.1 < $1.1 }
            var figure = BenchFigure(suite: "tsne", name: "tsne \(plan.size) KL", value: ourKL, unit: "nats",
                                     baseline: best?.1, baselineName: best?.0, ratio: nil,
                                     note: "one P for all (tsne_score.py); peers " + peerKLs.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "))
            figure.target = "≤ best peer + 0.05"
            if let best { figure.pass = ourKL <= best.1 + 0.05; if figure.pass == false { figure.gap = String(format: "%.3f over", ourKL - best.1 - 0.05) } }
            figures.append(figure)
        }
        for key in ["knn_preservation", "knn_accuracy"] {
            guard let our = medianOf("circuits", key) else { continue }
            for peer in plan.peers where peer.name.hasPrefix("openTSNE") {
                let base = medianOf(peer.name, key)
                var figure = BenchFigure(suite: "tsne", name: "tsne \(plan.size) \(key) vs \(peer.name)", value: our, unit: "",
                                         baseline: base, baselineName: peer.name, ratio: base.map { our / $0 },
                                         note: key == "knn_preservation" ? "share of 10 nearest in 50-D kept in 2-D" : "leave-one-out 10-NN vote in 2-D")
                figure.target = "≥ \(peer.name) − 0.01"
                if let base { figure.pass = our >= base - 0.01; if figure.pass == false { figure.gap = String(format: "%.3f below", base - 0.01 - our) } }
                figures.append(figure)
            }
        }
        if let trust = medianOf("circuits", "trustworthiness") {
            figures.append(BenchFigure(suite: "tsne", name: "tsne \(plan.size) trustworthiness(10)", value: trust, unit: "",
                                       baseline: medianOf("openTSNE-fft", "trustworthiness"), baselineName: "openTSNE-fft",
                                       note: "Venna & Kaski, ranks in the 50-D PCA space"))
        }
    }
    return figures
}

private func secondsSince(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
