// The DbRouter gRPC service: checks the credential, validates input, and
// hands work to the router. No database logic lives here.
#ifndef TASKGRES_DB_ROUTER_DB_ROUTER_SERVICE_H_
#define TASKGRES_DB_ROUTER_DB_ROUTER_SERVICE_H_

#include <cstddef>

#include "auth/service_credential.h"
#include "grpcutil/arena_allocator.h"
#include "listen/notification_hub.h"
#include "routing/router.h"
#include "streaming/stream_registry.h"
#include "taskgres/v1/db_router.grpc.pb.h"
#include "topology/topology_monitor.h"

namespace taskgres::router {

class DbRouterService final : public v1::DbRouter::CallbackService {
 public:
  DbRouterService(Router& router, TopologyMonitor& monitor, NotificationHub& hub,
                  const ServiceCredential& credential, size_t listen_buffer,
                  StreamRegistry& streams)
      : router_(router),
        monitor_(monitor),
        hub_(hub),
        credential_(credential),
        listen_buffer_(listen_buffer),
        streams_(streams) {
    SetMessageAllocatorFor_Execute(&execute_allocator_);
    SetMessageAllocatorFor_ExecuteTransaction(&transaction_allocator_);
  }

  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* context,
                                    const v1::ExecuteRequest* request,
                                    v1::ExecuteResponse* response) override;
  grpc::ServerUnaryReactor* ExecuteTransaction(grpc::CallbackServerContext* context,
                                               const v1::ExecuteTransactionRequest* request,
                                               v1::ExecuteTransactionResponse* response) override;
  grpc::ServerWriteReactor<v1::ListenEvent>* Listen(grpc::CallbackServerContext* context,
                                                    const v1::ListenRequest* request) override;
  grpc::ServerUnaryReactor* GetTopology(grpc::CallbackServerContext* context,
                                        const v1::GetTopologyRequest* request,
                                        v1::Topology* response) override;

 private:
  Router& router_;
  TopologyMonitor& monitor_;
  NotificationHub& hub_;
  const ServiceCredential& credential_;
  const size_t listen_buffer_;
  StreamRegistry& streams_;
  ArenaMessageAllocator<v1::ExecuteRequest, v1::ExecuteResponse> execute_allocator_;
  ArenaMessageAllocator<v1::ExecuteTransactionRequest, v1::ExecuteTransactionResponse>
      transaction_allocator_;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_DB_ROUTER_SERVICE_H_
