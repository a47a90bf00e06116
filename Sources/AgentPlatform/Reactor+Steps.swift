extension Reactor {
    /// Runs `step` once per reactor turn (`after(0)` between two, so every other descriptor
    /// and timer is served in between) until it returns true or throws, then calls
    /// `completion` once: with nil, or with the error. Never calls `completion` from within
    /// this call, and stops without calling it once `stopped()` is true. Long work (hashing a
    /// download, extracting an archive) is cut into such steps so that no handler blocks.
    public func runSteps<Failure: Error>(_ step: @escaping () throws(Failure) -> Bool, stopped: @escaping () -> Bool,
                                         completion: @escaping (Failure?) -> Void) {
        after(0) { [self] in
            if stopped() { return }
            do throws(Failure) {
                if try step() {
                    completion(nil)
                    return
                }
            } catch {
                completion(error)
                return
            }
            runSteps(step, stopped: stopped, completion: completion)
        }
    }
}
