group "fuzz/b" do
  cpu quota: "50%"
  memory limit: "1G", swap: "2G"
  pids max: 100
end
