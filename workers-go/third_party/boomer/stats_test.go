package boomer

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func BenchmarkLogRequest(b *testing.B) {
	newStats := newRequestStats()
	for i := 0; i < b.N; i++ {
		newStats.logRequest("http", "success", 2, 30)
	}
}

func BenchmarkLogError(b *testing.B) {
	newStats := newRequestStats()
	for i := 0; i < b.N; i++ {
		// LogError use md5 to calculate hash keys, it may slow down the only goroutine,
		// which consumes both requestSuccessChannel and requestFailureChannel.
		newStats.logError("http", "failure", "500 error")
	}
}

var _ = Describe("Test states", func() {

	It("test log request", func() {
		newStats := newRequestStats()
		newStats.logRequest("http", "success", 2, 30)
		newStats.logRequest("http", "success", 3, 40)
		newStats.logRequest("http", "success", 2, 40)
		newStats.logRequest("http", "success", 1, 20)
		entry := newStats.get("success", "http")

		Expect(entry.NumRequests).To(BeEquivalentTo(4))
		Expect(entry.MinResponseTime).To(BeEquivalentTo(1))
		Expect(entry.MaxResponseTime).To(BeEquivalentTo(3))
		Expect(entry.TotalResponseTime).To(BeEquivalentTo(8))
		Expect(entry.TotalContentLength).To(BeEquivalentTo(130))

		Expect(newStats.total.NumRequests).To(BeEquivalentTo(4))
		Expect(newStats.total.MinResponseTime).To(BeEquivalentTo(1))
		Expect(newStats.total.MaxResponseTime).To(BeEquivalentTo(3))
		Expect(newStats.total.TotalResponseTime).To(BeEquivalentTo(8))
		Expect(newStats.total.TotalContentLength).To(BeEquivalentTo(130))
	})

	It("test rounded response time", func() {
		newStats := newRequestStats()
		newStats.logRequest("http", "success", 147, 1)
		newStats.logRequest("http", "success", 3432, 1)
		newStats.logRequest("http", "success", 58760, 1)
		entry := newStats.get("success", "http")
		responseTimes := entry.ResponseTimes

		Expect(responseTimes).To(HaveLen(3))
		Expect(responseTimes).To(HaveKeyWithValue(int64(150), int64(1)))
		Expect(responseTimes).To(HaveKeyWithValue(int64(3400), int64(1)))
		Expect(responseTimes).To(HaveKeyWithValue(int64(59000), int64(1)))
	})

	It("test log error", func() {
		newStats := newRequestStats()
		newStats.logError("http", "failure", "500 error")
		newStats.logError("http", "failure", "400 error")
		newStats.logError("http", "failure", "400 error")
		entry := newStats.get("failure", "http")

		Expect(entry.NumFailures).To(BeEquivalentTo(3))
		Expect(newStats.total.NumFailures).To(BeEquivalentTo(3))

		// md5("httpfailure500 error") = 547c38e4e4742c1c581f9e2809ba4f55
		err500 := newStats.errors["547c38e4e4742c1c581f9e2809ba4f55"]
		Expect(err500.error).To(Equal("500 error"))
		Expect(err500.occurrences).To(BeEquivalentTo(1))

		err400 := newStats.errors["f391c310401ad8e10e929f2ee1a614e4"]
		Expect(err400.error).To(Equal("400 error"))
		Expect(err400.occurrences).To(BeEquivalentTo(2))
	})

	It("test clear all", func() {
		newStats := newRequestStats()
		newStats.logRequest("http", "success", 1, 20)
		newStats.clearAll()
		Expect(newStats.total.NumRequests).To(BeEquivalentTo(0))
	})

	It("test clear all by channel", func() {
		newStats := newRequestStats()
		newStats.start()
		defer newStats.close()
		newStats.logRequest("http", "success", 1, 20)
		newStats.clearStatsChan <- true
		Expect(newStats.total.NumRequests).To(BeEquivalentTo(0))
	})

	It("test serialize stats", func() {
		newStats := newRequestStats()
		newStats.logRequest("http", "success", 1, 20)

		serialized := newStats.serializeStats()
		Expect(serialized).To(HaveLen(1))

		first := serialized[0]
		entry, err := deserializeStatsEntry(first)
		Expect(err).NotTo(HaveOccurred())

		Expect(entry.Name).To(Equal("success"))
		Expect(entry.Method).To(Equal("http"))
		Expect(entry.NumRequests).To(BeEquivalentTo(1))
		Expect(entry.NumFailures).To(BeEquivalentTo(0))
	})

	It("test serialize errors", func() {
		newStats := newRequestStats()
		newStats.logError("http", "failure", "500 error")
		newStats.logError("http", "failure", "400 error")
		newStats.logError("http", "failure", "400 error")
		serialized := newStats.serializeErrors()

		Expect(serialized).To(HaveLen(2))
		Expect(serialized).To(HaveKeyWithValue("f391c310401ad8e10e929f2ee1a614e4", map[string]interface{}{
			"error":       "400 error",
			"occurrences": int64(2),
			"name":        "failure",
			"method":      "http",
		}))
	})

	It("test collect report data", func() {
		newStats := newRequestStats()
		newStats.logRequest("http", "success", 2, 30)
		newStats.logError("http", "failure", "500 error")
		result := newStats.collectReportData()

		Expect(result).To(HaveKey("stats"))
		Expect(result).To(HaveKey("stats_total"))
		Expect(result).To(HaveKey("errors"))
	})

	It("test stats start", func() {
		newStats := newRequestStats()
		newStats.start()
		defer newStats.close()

		newStats.requestSuccessChan <- &requestSuccess{
			requestType:    "http",
			name:           "success",
			responseTime:   2,
			responseLength: 30,
		}

		newStats.requestFailureChan <- &requestFailure{
			requestType:  "http",
			name:         "failure",
			responseTime: 1,
			error:        "500 error",
		}

		Eventually(newStats.messageToRunnerChan).WithTimeout(slaveReportInterval + 500*time.Millisecond).Should(Receive())
	})

	It("test record batch counts as record success and failure", func() {
		newStats := newRequestStats()
		newStats.start()
		defer newStats.close()

		records := []Record{
			{RequestType: "http", Name: "success", ResponseTime: 2, ResponseLength: 30, Unix: 1000},
			{RequestType: "http", Name: "success", ResponseTime: 4, ResponseLength: 10, Unix: 1001},
			{RequestType: "http", Name: "failure", ResponseTime: 1, Failed: true, Exception: "500 error", Unix: 1001},
			{RequestType: "http", Name: "failure", ResponseTime: 3, Failed: true, Unix: 1002},
			{RequestType: "http", Name: "failure", ResponseTime: 3, Failed: true, Exception: "500 error", Unix: 1002},
			{RequestType: "http", Name: "failure", ResponseTime: 3, Failed: true, Exception: "500 error", Unix: 1002},
			{RequestType: "http", Name: "other", ResponseTime: 3, Failed: true, Exception: "500 error", Unix: 1002},
		}
		newStats.recordBatch(records)

		success := newStats.get("success", "http")
		Expect(success.NumRequests).To(BeEquivalentTo(2))
		Expect(success.NumFailures).To(BeEquivalentTo(0))
		Expect(success.TotalResponseTime).To(BeEquivalentTo(6))
		Expect(success.TotalContentLength).To(BeEquivalentTo(40))
		Expect(success.NumReqsPerSec).To(Equal(map[int64]int64{1000: 1, 1001: 1}))

		failure := newStats.get("failure", "http")
		Expect(failure.NumRequests).To(BeEquivalentTo(4))
		Expect(failure.NumFailures).To(BeEquivalentTo(4))
		Expect(failure.TotalContentLength).To(BeEquivalentTo(0))
		Expect(failure.NumFailPerSec).To(Equal(map[int64]int64{1001: 1, 1002: 3}))
		Expect(newStats.errors).To(HaveLen(3))
		Expect(newStats.errors[MD5("http", "failure", "500 error")].occurrences).To(BeEquivalentTo(3))
		Expect(newStats.errors[MD5("http", "failure", "")].occurrences).To(BeEquivalentTo(1))
		Expect(newStats.errors[MD5("http", "other", "500 error")].occurrences).To(BeEquivalentTo(1))

		Expect(newStats.total.NumRequests).To(BeEquivalentTo(7))
		Expect(newStats.total.NumFailures).To(BeEquivalentTo(5))
		Expect(newStats.total.NumReqsPerSec).To(Equal(map[int64]int64{1000: 1, 1001: 2, 1002: 4}))
	})

	It("test record batch counts a record with a count as that many", func() {
		newStats := newRequestStats()
		newStats.start()
		defer newStats.close()

		newStats.recordBatch([]Record{
			{RequestType: "http", Name: "success", ResponseTime: 150, ResponseLength: 30, Unix: 1000, Count: 3},
			{RequestType: "http", Name: "success", ResponseTime: 2, ResponseLength: 10, Unix: 1000},
			{RequestType: "http", Name: "failure", ResponseTime: 0, Failed: true, Exception: "busy", Unix: 1001, Count: 5},
		})

		success := newStats.get("success", "http")
		Expect(success.NumRequests).To(BeEquivalentTo(4))
		Expect(success.TotalResponseTime).To(BeEquivalentTo(452))
		Expect(success.TotalContentLength).To(BeEquivalentTo(100))
		Expect(success.MinResponseTime).To(BeEquivalentTo(2))
		Expect(success.MaxResponseTime).To(BeEquivalentTo(150))
		Expect(success.ResponseTimes).To(Equal(map[int64]int64{150: 3, 2: 1}))
		Expect(success.NumReqsPerSec).To(Equal(map[int64]int64{1000: 4}))

		failure := newStats.get("failure", "http")
		Expect(failure.NumRequests).To(BeEquivalentTo(5))
		Expect(failure.NumFailures).To(BeEquivalentTo(5))
		Expect(failure.NumFailPerSec).To(Equal(map[int64]int64{1001: 5}))
		Expect(newStats.errors[MD5("http", "failure", "busy")].occurrences).To(BeEquivalentTo(5))
		Expect(newStats.total.NumRequests).To(BeEquivalentTo(9))
		Expect(newStats.total.NumFailures).To(BeEquivalentTo(5))
	})

	It("test record batch in any order of seconds keeps start time and last request in order", func() {
		newStats := newRequestStats()
		newStats.start()
		defer newStats.close()

		now := time.Now().Unix()
		newStats.recordBatch([]Record{
			{RequestType: "http", Name: "success", ResponseTime: 2, Unix: now - 3},
			{RequestType: "http", Name: "success", ResponseTime: 2, Unix: now - 5},
			{RequestType: "http", Name: "success", ResponseTime: 2, Unix: now - 4},
		})

		for _, entry := range []*statsEntry{newStats.get("success", "http"), newStats.total} {
			Expect(entry.StartTime).To(BeEquivalentTo(now - 5))
			Expect(entry.LastRequestTimestamp).To(BeEquivalentTo(now - 3))
		}
	})

	It("test record batch without a second counts in the current one", func() {
		newStats := newRequestStats()
		newStats.start()
		defer newStats.close()

		before := time.Now().Unix()
		newStats.recordBatch([]Record{{RequestType: "http", Name: "success", ResponseTime: 2}})
		after := time.Now().Unix()

		seconds := newStats.get("success", "http").NumReqsPerSec
		Expect(seconds).To(HaveLen(1))
		for second := range seconds {
			Expect(second).To(BeNumerically(">=", before))
			Expect(second).To(BeNumerically("<=", after))
		}
	})

	It("test record batch after the stats stopped returns", func() {
		newStats := newRequestStats()
		newStats.start()
		newStats.close()

		newStats.recordBatch([]Record{{RequestType: "http", Name: "success", ResponseTime: 2}})
		Expect(newStats.total.NumRequests).To(BeEquivalentTo(0))
	})
})
