import FogMarket
import FogModel
import Testing

@Suite("Privacy mechanism bits")
struct PrivacyBitsTests {
    @Test("one bit per mechanism; a name that is no mechanism sets a bit no node has")
    func bits() {
        #expect(PrivacyMechanism.bits([]) == 0)
        let all = PrivacyMechanism.bits(Set(PrivacyMechanism.allCases.map(\.rawValue)))
        #expect(all == 0b1111)
        let two = PrivacyMechanism.bits(["differentialPrivacy", "secureAggregation"])
        #expect(two.nonzeroBitCount == 2 && two & ~all == 0)
        let unknown = PrivacyMechanism.bits(["teleportation"])
        #expect(unknown & ~all != 0)
    }
}
