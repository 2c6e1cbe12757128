# /etc/mcgexec/app.rb: the limits of app.service.
#
# Root-owned and not writable by anyone else (chmod 644), in directories
# only root can change: as root, mcgexec refuses anything else.
group "services/app" do
  cpu    "200%"     # two CPUs' worth
  memory "1G"
  pids   256
end
